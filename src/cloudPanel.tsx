import type { ICloudModel } from './tokens';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { CloudPreview } from './api';
import { machinesIn, type IMachineChoice } from './cloudCatalog';
import { splitArgs } from './format';
import { pushSummary } from './cloudModel';
import { ErrorText } from './components/Messages';
import { describeError } from './request';
import { decide, DEFAULT_MACHINE, DEFAULT_REGION, requestOf, type ICloudFormValues } from './widgets/cloudFormState';

/** Typing pauses this long before the expansion is asked for again. */
const PREVIEW_DELAY_MS = 300;
/** Per-job args listed under the editor; the count says how many there are in all. */
const SHOWN_JOBS = 50;
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
  /** The form's values, kept by its owner (per project, in JupyterLab's state database). */
  values: ICloudFormValues;
  onChange: (change: Partial<ICloudFormValues>) => void;
  /** Asks the user whether to submit despite the submit check's warnings. */
  confirm: (warnings: string[]) => Promise<boolean>;
  onError: (message: string) => void;
}

/**
 * "Submit as cloud experiment": target, args, experiment config with its live expansion, machine,
 * the distributed workers, labels. Submit first checks the environment the jobs would run in.
 */
export function CloudForm({
  model,
  path,
  projectRoot,
  currentNotebook,
  values,
  onChange,
  confirm,
  onError
}: ICloudFormProps): JSX.Element {
  const { target, args, experimentConfig: config, projectId, region, machineType, outputDir } = values;
  const accelerator = values.acceleratorType;
  const count = values.acceleratorCount;
  const set =
    <K extends keyof ICloudFormValues>(key: K) =>
    (value: ICloudFormValues[K]) =>
      onChange({ [key]: value } as Partial<ICloudFormValues>);
  const [preview, setPreview] = React.useState<CloudPreview | null>(null);
  const [previewError, setPreviewError] = React.useState<string | null>(null);
  const [sending, setSending] = React.useState<'checking' | 'submitting' | null>(null);
  const [checked, setChecked] = React.useState<{ ok: string | null; warnings: string[] } | null>(null);

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
      onChange({
        machineType: machines.some(m => m.machineType === DEFAULT_MACHINE) ? DEFAULT_MACHINE : machines[0].machineType
      });
      return;
    }
    if (accelerator && !accelerators.includes(accelerator)) {
      onChange({ acceleratorType: machine.acceleratorRequired ? accelerators[0] : '' });
    } else if (!accelerator && machine.acceleratorRequired) {
      onChange({ acceleratorType: accelerators[0] });
    } else if (accelerator && !counts.includes(count)) {
      onChange({ acceleratorCount: counts[0] });
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
    const request = requestOf(values, path);
    setChecked(null);
    try {
      // The check builds (or finds) the cloud image; the submission ships that one, building nothing again.
      setSending('checking');
      const decision = decide(await model.checkEnvironment(request));
      if (decision.confirm) {
        setChecked({ ok: null, warnings: decision.warnings });
        if (!(await confirm(decision.warnings))) {
          return;
        }
      } else {
        setChecked({ ok: decision.ok, warnings: [] });
      }
      setSending('submitting');
      await model.submit(request);
    } catch (error) {
      onError(describeError(error));
    } finally {
      setSending(null);
    }
  };

  const useNotebook = () => {
    const notebook = currentNotebook();
    if (notebook !== null && projectRoot !== null) {
      onChange({
        target:
          projectRoot && notebook.startsWith(`${projectRoot}/`) ? notebook.slice(projectRoot.length + 1) : notebook
      });
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
            onChange={e => onChange({ target: e.target.value })}
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
        onChange={set('args')}
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
          onChange={e => onChange({ experimentConfig: e.target.value })}
        />
      </Field>
      <ExpansionView preview={preview} error={previewError} />
      <div className="jp-Ariel-fieldGrid">
        <TextField
          title="Google Cloud project"
          name="projectId"
          value={projectId}
          placeholder="my-project"
          onChange={set('projectId')}
        />
        <Field title="Region">
          <HTMLSelect
            name="region"
            aria-label="Region"
            value={region}
            onChange={e => onChange({ region: e.currentTarget.value })}
          >
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
            onChange={e => onChange({ machineType: e.currentTarget.value })}
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
              onChange={e => onChange({ acceleratorType: e.currentTarget.value })}
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
                onChange={e => onChange({ acceleratorCount: Number(e.currentTarget.value) })}
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
          value={values.labels}
          placeholder="team=vision, dataset=v2"
          onChange={set('labels')}
        />
        <TextField title="Name" name="name" value={values.name} placeholder="project and time" onChange={set('name')} />
      </div>
      <TextField
        title="Image repository"
        name="imageRepository"
        value={values.imageRepository}
        placeholder={`${region}-docker.pkg.dev/${projectId.trim() || 'PROJECT'}/ariel`}
        onChange={set('imageRepository')}
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
        onChange={set('outputDir')}
      />
      <TextField
        title="Service account"
        name="serviceAccount"
        value={values.serviceAccount}
        placeholder="the project's default"
        onChange={set('serviceAccount')}
      />
      <DistributedFields values={values} machines={machines} onChange={onChange} />
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
      {sending === 'checking' && (
        <p className="jp-Ariel-muted jp-Ariel-check">
          Checking the environment: building (or finding) the cloud image and comparing it with the notebook&apos;s…
        </p>
      )}
      {checked?.ok && <p className="jp-Ariel-check jp-Ariel-checkOk">{checked.ok}</p>}
      {checked?.warnings.map(warning => (
        <p key={warning} className="jp-Ariel-check jp-Ariel-warning">
          {warning}
        </p>
      ))}
      <ProgressView model={model} />
    </div>
  );
}

/**
 * Vertex AI's worker pools beside the primary machine: workers (their machine and accelerator
 * the primary's unless chosen) and Reduction Server replicas. Folded while there are none.
 */
function DistributedFields({
  values,
  machines,
  onChange
}: {
  values: ICloudFormValues;
  machines: IMachineChoice[];
  onChange: (change: Partial<ICloudFormValues>) => void;
}): JSX.Element {
  const workerMachine = machines.find(m => m.machineType === (values.workerMachineType || values.machineType));
  const workerAccelerators = workerMachine ? Object.keys(workerMachine.accelerators) : [];
  const workerCounts =
    (values.workerAcceleratorType && workerMachine?.accelerators[values.workerAcceleratorType]) || [];
  const number = (text: string) => Math.max(0, Math.floor(Number(text) || 0));
  return (
    <details className="jp-Ariel-distributed" open={values.replicas > 0 || values.reductionServers > 0}>
      <summary>Distributed</summary>
      <div className="jp-Ariel-fieldGrid">
        <Field title="Workers">
          <input
            className="jp-mod-styled"
            type="number"
            min={0}
            name="replicas"
            aria-label="Workers"
            title="Replicas beside the primary machine (0: one machine)"
            value={String(values.replicas)}
            onChange={e => onChange({ replicas: number(e.target.value) })}
          />
        </Field>
        <Field title="Worker machine">
          <HTMLSelect
            name="workerMachineType"
            aria-label="Worker machine"
            value={values.workerMachineType}
            disabled={!values.replicas}
            onChange={e => onChange({ workerMachineType: e.currentTarget.value, workerAcceleratorType: '' })}
          >
            <option value="">Same as the primary</option>
            {machines.map(m => (
              <option key={m.machineType} value={m.machineType}>
                {m.machineType}
              </option>
            ))}
          </HTMLSelect>
        </Field>
        <Field title="Worker GPU">
          <div className="jp-Ariel-row">
            <HTMLSelect
              name="workerAcceleratorType"
              aria-label="Worker GPU"
              value={values.workerAcceleratorType}
              disabled={!values.replicas || !workerAccelerators.length}
              onChange={e => {
                const type = e.currentTarget.value;
                const counts = (type && workerMachine?.accelerators[type]) || [];
                onChange({ workerAcceleratorType: type, workerAcceleratorCount: counts[0] ?? 1 });
              }}
            >
              <option value="">{values.workerMachineType ? 'None (CPU)' : 'Same as the primary'}</option>
              {workerAccelerators.map(a => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </HTMLSelect>
            {values.workerAcceleratorType && (
              <HTMLSelect
                name="workerAcceleratorCount"
                aria-label="GPUs per worker"
                title="GPUs per worker"
                value={String(values.workerAcceleratorCount)}
                onChange={e => onChange({ workerAcceleratorCount: Number(e.currentTarget.value) })}
              >
                {workerCounts.map(c => (
                  <option key={c} value={String(c)}>
                    × {c}
                  </option>
                ))}
              </HTMLSelect>
            )}
          </div>
        </Field>
        <Field title="Reduction servers">
          <input
            className="jp-mod-styled"
            type="number"
            min={0}
            name="reductionServers"
            aria-label="Reduction servers"
            title="Reduction Server replicas, which speed up all-reduce between GPU workers (0: none)"
            value={String(values.reductionServers)}
            onChange={e => onChange({ reductionServers: number(e.target.value) })}
          />
        </Field>
      </div>
    </details>
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
