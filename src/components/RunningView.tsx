import type { Kernel } from '@jupyterlab/services';
import { Button, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Empty } from './Messages';
import { KERNEL_NAMES, type KernelDrift } from '../api';
import { describeAddResult, describeDrift, hasDrift } from '../drift';
import { formatAge } from '../format';
import { describeError } from '../request';
import type { IArielModel } from '../tokens';

const ARIEL_KERNELS = new Set(Object.values(KERNEL_NAMES));

/** What "Add to the project" answered for a kernel, as shown under it. */
interface IAdded {
  ok: boolean;
  message: string;
  /** Lines to add by hand (a pyproject-only project). */
  lines: string[];
}

/**
 * Jupyter's kernels on Ariel's kernelspecs, and Ariel's containers (kernels, shells, jobs), each
 * with stop. A kernel container that installed packages its image does not hold is marked, with
 * "Add to the project".
 */
export function RunningView({
  model,
  kernels,
  onStopKernel,
  onStopContainer
}: {
  model: IArielModel;
  kernels: readonly Kernel.IModel[];
  onStopKernel: (id: string) => void;
  onStopContainer: (id: string) => void;
}): JSX.Element {
  const [added, setAdded] = React.useState<Record<string, IAdded>>({});
  const [adding, setAdding] = React.useState<string | null>(null);
  const arielKernels = kernels.filter(kernel => ARIEL_KERNELS.has(kernel.name));
  const { containers, listErrors, drift } = model;
  if (!arielKernels.length && !containers.length) {
    return <Empty error={listErrors.containers} text={'No Ariel containers or kernels are running.'} />;
  }
  const driftOf = new Map(drift.map(k => [k.container, k]));
  const add = (kernel: KernelDrift) => {
    setAdding(kernel.container);
    model
      .addToProject(kernel)
      .then(
        result => setAdded(all => ({ ...all, [kernel.container]: describeAddResult(result) })),
        error =>
          setAdded(all => ({ ...all, [kernel.container]: { ok: false, message: describeError(error), lines: [] } }))
      )
      .finally(() => setAdding(null));
  };
  return (
    <ul className="jp-Ariel-list">
      {arielKernels.map(kernel => (
        <li key={kernel.id} className="jp-Ariel-listItem">
          <span className="jp-Ariel-grow">
            kernel · {kernel.name} · {kernel.execution_state ?? ''}
          </span>
          <Button small minimal onClick={() => onStopKernel(kernel.id)} title="Shut the kernel down">
            <stopIcon.react tag="span" elementSize="small" />
          </Button>
        </li>
      ))}
      {containers.map(container => {
        const kernelDrift = driftOf.get(container.id);
        const drifted = kernelDrift !== undefined && hasDrift(kernelDrift);
        return (
          <React.Fragment key={container.id}>
            <li
              className={`jp-Ariel-listItem${drifted ? ' jp-Ariel-drifted' : ''}`}
              title={container.image}
              data-container-id={container.id}
            >
              <span className="jp-Ariel-grow">
                {container.role} · {container.project || '/'} · {container.state}
              </span>
              {drifted && (
                <span className="jp-Ariel-state jp-Ariel-driftMark" title="Its packages differ from its image's">
                  drifted
                </span>
              )}
              <span className="jp-Ariel-muted">{formatAge(container.created)}</span>
              <Button small minimal onClick={() => onStopContainer(container.id)} title="Stop the container">
                <stopIcon.react tag="span" elementSize="small" />
              </Button>
            </li>
            {drifted && (
              <DriftDetails
                kernel={kernelDrift}
                added={added[container.id]}
                busy={adding === container.id}
                onAdd={() => add(kernelDrift)}
              />
            )}
            {!drifted && added[container.id] && <AddedMessage added={added[container.id]} containerId={container.id} />}
          </React.Fragment>
        );
      })}
      {listErrors.drift && (
        <li className="jp-Ariel-driftError">
          <span className="jp-Ariel-error">Could not tell what running kernels installed: {listErrors.drift}</span>
        </li>
      )}
    </ul>
  );
}

function DriftDetails({
  kernel,
  added,
  busy,
  onAdd
}: {
  kernel: KernelDrift;
  added: IAdded | undefined;
  busy: boolean;
  onAdd: () => void;
}): JSX.Element {
  const words = describeDrift(kernel);
  if (added?.ok) {
    // Written: the kernel still holds them, but the project now does too; its next start builds them in.
    return (
      <li className="jp-Ariel-drift" data-drift-of={kernel.container}>
        <AddedText added={added} />
      </li>
    );
  }
  return (
    <li className="jp-Ariel-drift" data-drift-of={kernel.container}>
      {words.notInProject && <p className="jp-Ariel-driftLine jp-Ariel-warning">{words.notInProject}</p>}
      {words.reported.map(line => (
        <p key={line} className="jp-Ariel-driftLine jp-Ariel-muted">
          {line}
        </p>
      ))}
      {words.addable && (
        <Button
          small
          className="jp-Ariel-addToProject"
          disabled={busy}
          onClick={onAdd}
          title="Append pinned lines for these packages to the project's requirements.txt"
        >
          {busy ? 'Adding…' : 'Add to the project'}
        </Button>
      )}
      {added && <AddedText added={added} />}
    </li>
  );
}

function AddedMessage({ added, containerId }: { added: IAdded; containerId: string }): JSX.Element {
  return (
    <li className="jp-Ariel-drift" data-drift-of={containerId}>
      <AddedText added={added} />
    </li>
  );
}

function AddedText({ added }: { added: IAdded }): JSX.Element {
  return (
    <div className="jp-Ariel-added">
      <p className={`jp-Ariel-driftLine ${added.ok ? 'jp-Ariel-hint' : 'jp-Ariel-warning'}`}>{added.message}</p>
      {added.lines.length > 0 && !added.ok && <pre className="jp-Ariel-addLines">{added.lines.join('\n')}</pre>}
    </div>
  );
}
