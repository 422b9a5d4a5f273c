import type { ICloudModel } from './tokens';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { CloudPreview, CloudRequest } from './api';
import { machinesIn } from './cloudCatalog';
import { splitArgs } from './format';
import { pushSummary } from './cloudModel';
import { ErrorText } from './components/Messages';
import { describeError } from './request';

/** Typing pauses this long before the expansion is asked for again. */
const PREVIEW_DELAY_MS = 300;
/** Per-job args listed under the editor; the count says how many there are in all. */
const SHOWN_JOBS = 50;
const DEFAULT_REGION = 'us-central1';
const DEFAULT_MACHINE = 'n1-standard-4';
const TARGET_HELP = {
  id: 'jp-Ariel-help-target',
  text: 'A module, a script (trainer/train.py) or a notebook of the project; Notebook takes the open one.'
};

export interface ICloudFormProps {
  model: ICloudModel;
  /** The folder whose project is submitted, relative to Jupyter's root. */
  path: string;
  /** The project root, relative to Jupyter's root; null without a project. */
  projectRoot: string | null;
  /** The open notebook's path relative to Jupyter's root, if any. */
  currentNotebook: () => string | null;
  onError: (message: string) => void;
}

/** "Submit as cloud experiment": target, args, experiment config with its live expansion, machine, labels. */
export function CloudForm({ model, path, projectRoot, currentNotebook, onError }: ICloudFormProps): JSX.Element {
  const [target, setTarget] = React.useState('');
  const [args, setArgs] = React.useState('');
  const [config, setConfig] = React.useState('');
  const [projectId, setProjectId] = React.useState('');
  const [region, setRegion] = React.useState(DEFAULT_REGION);
  const [machineType, setMachineType] = React.useState(DEFAULT_MACHINE);
  const [accelerator, setAccelerator] = React.useState('');
  const [count, setCount] = React.useState(1);
  const [labels, setLabels] = React.useState('');
  const [name, setName] = React.useState('');
  const [repository, setRepository] = React.useState('');
  const [outputDir, setOutputDir] = React.useState('');
  const [serviceAccount, setServiceAccount] = React.useState('');
  const [preview, setPreview] = React.useState<CloudPreview | null>(null);
  const [previewError, setPreviewError] = React.useState<string | null>(null);
  const [sending, setSending] = React.useState(false);

  React.useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      model
        .preview({ path, target, args: splitArgs(args), experimentConfig: config })
        .then(result => !stale && (setPreview(result), setPreviewError(null)))
        .catch(error => !stale && setPreviewError(describeError(error)));
    }, PREVIEW_DELAY_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [model, path, target, args, config]);

  const catalog = model.catalog;
  const regions = catalog ? Object.keys(catalog.regions).sort() : [DEFAULT_REGION];
  const machines = catalog ? machinesIn(catalog, region) : [];
  const machine = machines.find(m => m.machineType === machineType);
  const accelerators = machine ? Object.keys(machine.accelerators) : [];
  const counts = (accelerator && machine?.accelerators[accelerator]) || [];

  // Keeps the pickers on a combination the table accepts when one of them changes.
  React.useEffect(() => {
    if (!catalog || !machines.length) {
      return;
    }
    if (!machine) {
      setMachineType(machines.some(m => m.machineType === DEFAULT_MACHINE) ? DEFAULT_MACHINE : machines[0].machineType);
      return;
    }
    if (accelerator && !accelerators.includes(accelerator)) {
      setAccelerator(machine.acceleratorRequired ? accelerators[0] : '');
    } else if (!accelerator && machine.acceleratorRequired) {
      setAccelerator(accelerators[0]);
    } else if (accelerator && !counts.includes(count)) {
      setCount(counts[0]);
    }
    // machines, machine, accelerators and counts derive from these; listing them would run it every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [catalog, region, machineType, accelerator, count]);

  const running = model.progress?.submission.state === 'running';
  const blocked = preview?.error ?? preview?.targetError;
  // A notebook job keeps its executed notebook in the output folder: the server refuses one without.
  const isNotebook = target.trim().endsWith('.ipynb');
  const needsOutput = isNotebook && !outputDir.trim();
  const ready =
    !!catalog && !!target.trim() && !!projectId.trim() && !!preview && !blocked && !needsOutput && !running && !sending;

  const submit = async () => {
    const request: CloudRequest = {
      path,
      target: target.trim(),
      args: splitArgs(args),
      experimentConfig: config,
      projectId: projectId.trim(),
      region,
      machineType,
      ...(accelerator ? { acceleratorType: accelerator, acceleratorCount: count } : {}),
      labels: labels.split(/[\s,]+/).filter(Boolean),
      name: name.trim() || undefined,
      imageRepository: repository.trim() || undefined,
      outputDir: outputDir.trim() || undefined,
      serviceAccount: serviceAccount.trim() || undefined
    };
    setSending(true);
    try {
      await model.submit(request);
    } catch (error) {
      onError(describeError(error));
    } finally {
      setSending(false);
    }
  };

  const useNotebook = () => {
    const notebook = currentNotebook();
    if (notebook !== null && projectRoot !== null) {
      setTarget(
        projectRoot && notebook.startsWith(`${projectRoot}/`) ? notebook.slice(projectRoot.length + 1) : notebook
      );
    }
  };

  return (
    <div className="jp-Ariel-cloudForm">
      <Field title="Target" help={TARGET_HELP}>
        <div className="jp-Ariel-row">
          <input
            className="jp-mod-styled jp-Ariel-grow"
            name="target"
            aria-label="Target"
            aria-describedby={TARGET_HELP.id}
            value={target}
            placeholder="trainer.train"
            onChange={e => setTarget(e.target.value)}
          />
          <Button small onClick={useNotebook} title="Use the open notebook as the target" disabled={!currentNotebook()}>
            Notebook
          </Button>
        </div>
      </Field>
      {preview?.targetError && <ErrorText error={preview.targetError} />}
      {preview?.command && (
        <p className="jp-Ariel-muted jp-Ariel-code">
          {preview.command.join(' ')} {args}
        </p>
      )}
      <TextField
        title="Arguments for every job"
        name="args"
        value={args}
        placeholder="--data gs://bucket/data"
        onChange={setArgs}
      />
      <Field title="Experiment config">
        <textarea
          className="jp-mod-styled jp-Ariel-code jp-Ariel-configEditor"
          name="experimentConfig"
          aria-label="Experiment config"
          value={config}
          rows={5}
          spellCheck={false}
          placeholder={'{"learning_rate": [0.1, 0.01], "layers": [2, 3]}'}
          onChange={e => setConfig(e.target.value)}
        />
      </Field>
      <ExpansionView preview={preview} error={previewError} />
      <div className="jp-Ariel-fieldGrid">
        <TextField
          title="Google Cloud project"
          name="projectId"
          value={projectId}
          placeholder="my-project"
          onChange={setProjectId}
        />
        <Field title="Region">
          <HTMLSelect name="region" aria-label="Region" value={region} onChange={e => setRegion(e.currentTarget.value)}>
            {regions.map(r => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </HTMLSelect>
        </Field>
        <Field title="Machine">
          <HTMLSelect
            name="machineType"
            aria-label="Machine"
            value={machineType}
            onChange={e => setMachineType(e.currentTarget.value)}
          >
            {machines.map(m => (
              <option key={m.machineType} value={m.machineType}>
                {m.machineType}
              </option>
            ))}
          </HTMLSelect>
        </Field>
        <Field title="GPU">
          <div className="jp-Ariel-row">
            <HTMLSelect
              name="acceleratorType"
              aria-label="GPU"
              value={accelerator}
              onChange={e => setAccelerator(e.currentTarget.value)}
              disabled={!accelerators.length}
            >
              {!machine?.acceleratorRequired && <option value="">None (CPU)</option>}
              {accelerators.map(a => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </HTMLSelect>
            {accelerator && (
              <HTMLSelect
                name="acceleratorCount"
                value={String(count)}
                onChange={e => setCount(Number(e.currentTarget.value))}
                title="GPUs per job"
                aria-label="GPUs per job"
              >
                {counts.map(c => (
                  <option key={c} value={String(c)}>
                    × {c}
                  </option>
                ))}
              </HTMLSelect>
            )}
          </div>
        </Field>
        <TextField
          title="Labels"
          name="labels"
          value={labels}
          placeholder="team=vision, dataset=v2"
          onChange={setLabels}
        />
        <TextField title="Name" name="name" value={name} placeholder="project and time" onChange={setName} />
      </div>
      <TextField
        title="Image repository"
        name="imageRepository"
        value={repository}
        placeholder={`${region}-docker.pkg.dev/${projectId.trim() || 'PROJECT'}/ariel`}
        onChange={setRepository}
      />
      <TextField
        title="Output folder"
        name="outputDir"
        value={outputDir}
        placeholder="gs://bucket/folder"
        required={isNotebook}
        help={
          isNotebook
            ? `A notebook job keeps its executed notebook here (FOLDER/NAME/INDEX)${needsOutput ? ': give one (gs://…) to submit' : ''}.`
            : "Each job's outputs go to FOLDER/NAME/INDEX. A notebook target needs one."
        }
        warn={needsOutput}
        onChange={setOutputDir}
      />
      <TextField
        title="Service account"
        name="serviceAccount"
        value={serviceAccount}
        placeholder="the project's default"
        onChange={setServiceAccount}
      />
      <div className="jp-Ariel-row">
        <Button
          className="jp-mod-styled jp-mod-accept"
          onClick={() => void submit()}
          disabled={!ready}
          title="Build and push the cloud image, then create the jobs"
        >
          Submit {preview && !blocked ? `${preview.count} job${preview.count === 1 ? '' : 's'}` : ''}
        </Button>
        {running && (
          <Button small minimal onClick={() => void model.cancelSubmission().catch(e => onError(describeError(e)))}>
            Cancel
          </Button>
        )}
      </div>
      <ProgressView model={model} />
    </div>
  );
}

/** A field's help line: under its control, wrapping (a placeholder is cut off in a narrow sidebar). */
interface IHelp {
  /** The id the control names in aria-describedby. */
  id: string;
  text: string;
  /** Shown as what blocks submitting. */
  warn?: boolean;
}

/** A titled form field; the controls carry their own aria-label, so each has one name. */
function Field({ title, help, children }: { title: string; help?: IHelp; children: React.ReactNode }): JSX.Element {
  return (
    <div className="jp-Ariel-field">
      <span>{title}</span>
      {children}
      {help && (
        <span id={help.id} className={`jp-Ariel-fieldHelp${help.warn ? ' jp-Ariel-warning' : ''}`}>
          {help.text}
        </span>
      )}
    </div>
  );
}

/** A one-line text input with its title, and optionally a help line below it. */
function TextField(props: {
  title: string;
  name: string;
  value: string;
  placeholder: string;
  required?: boolean;
  help?: string;
  warn?: boolean;
  onChange: (value: string) => void;
}): JSX.Element {
  const help = props.help ? { id: `jp-Ariel-help-${props.name}`, text: props.help, warn: props.warn } : undefined;
  return (
    <Field title={props.title} help={help}>
      <input
        className="jp-mod-styled"
        name={props.name}
        aria-label={props.title}
        aria-describedby={help?.id}
        value={props.value}
        placeholder={props.placeholder}
        required={props.required}
        onChange={e => props.onChange(e.target.value)}
      />
    </Field>
  );
}

/** The live job count and each job's arguments, or what is wrong with the config. */
function ExpansionView({ preview, error }: { preview: CloudPreview | null; error: string | null }): JSX.Element {
  if (error) {
    return <p className="jp-Ariel-error">{error}</p>;
  }
  if (!preview) {
    return <p className="jp-Ariel-muted">Expanding…</p>;
  }
  if (preview.error) {
    return <ErrorText error={preview.error} />;
  }
  return (
    <div className="jp-Ariel-expansion">
      <p className="jp-Ariel-jobCount">
        {preview.count} job{preview.count === 1 ? '' : 's'}
      </p>
      {preview.warnings.map(w => (
        <p key={w} className="jp-Ariel-warning">
          {w}
        </p>
      ))}
      <ol className="jp-Ariel-list jp-Ariel-code">
        {preview.jobs.slice(0, SHOWN_JOBS).map(job => (
          <li key={job.index} className="jp-Ariel-listItem">
            <span className="jp-Ariel-muted">#{job.index}</span>
            <span className="jp-Ariel-grow">{job.args.join(' ') || '(no arguments)'}</span>
          </li>
        ))}
      </ol>
      {preview.count > SHOWN_JOBS && <p className="jp-Ariel-muted">… and {preview.count - SHOWN_JOBS} more</p>}
    </div>
  );
}

/** The followed submission: its phase, the build's step, each job's creation. */
function ProgressView({ model }: { model: ICloudModel }): JSX.Element | null {
  const progress = model.progress;
  if (!progress) {
    return null;
  }
  const { submission, step, layers, jobs } = progress;
  const pushing = submission.state === 'running' && !jobs.length && Object.keys(layers).length > 0;
  return (
    <div className="jp-Ariel-submission" data-state={submission.state}>
      <p className={submission.state === 'failed' ? 'jp-Ariel-error' : ''}>
        <strong>{submission.group}</strong>: {progress.phase}
      </p>
      {submission.error && <ErrorText error={submission.error} />}
      {pushing && <p className="jp-Ariel-muted">{pushSummary(layers)}</p>}
      {step && submission.state === 'running' && !jobs.length && !pushing && (
        <div className="jp-Ariel-row">
          <progress max={step.total} value={step.index} />
          <span className="jp-Ariel-grow jp-Ariel-muted" title={step.instruction}>
            Step {step.index}/{step.total}: {step.instruction}
          </span>
        </div>
      )}
      <ul className="jp-Ariel-list">
        {jobs.map(job => (
          <li key={job.index} className="jp-Ariel-listItem" title={job.error ?? job.name ?? ''}>
            <span className={`jp-Ariel-state jp-Ariel-job-${job.status}`}>{job.status}</span>
            <span className="jp-Ariel-grow">{job.displayName}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
