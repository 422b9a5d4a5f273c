import type { Kernel } from '@jupyterlab/services';
import { Button, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Empty } from './Messages';
import { KERNEL_NAMES } from '../api';
import { formatAge } from '../format';
import type { IArielModel } from '../tokens';

const ARIEL_KERNELS = new Set(Object.values(KERNEL_NAMES));

/** Jupyter's kernels on Ariel's kernelspecs, and Ariel's containers (kernels, shells, jobs), each with stop. */
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
  const arielKernels = kernels.filter(kernel => ARIEL_KERNELS.has(kernel.name));
  const { containers, listErrors } = model;
  if (!arielKernels.length && !containers.length) {
    return <Empty error={listErrors.containers} text={'No Ariel containers or kernels are running.'} />;
  }
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
      {containers.map(container => (
        <li key={container.id} className="jp-Ariel-listItem" title={container.image} data-container-id={container.id}>
          <span className="jp-Ariel-grow">
            {container.role} · {container.project || '/'} · {container.state}
          </span>
          <span className="jp-Ariel-muted">{formatAge(container.created)}</span>
          <Button small minimal onClick={() => onStopContainer(container.id)} title="Stop the container">
            <stopIcon.react tag="span" elementSize="small" />
          </Button>
        </li>
      ))}
    </ul>
  );
}
