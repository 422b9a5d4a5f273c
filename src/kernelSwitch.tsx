import { Notification, ReactWidget, type ISessionContext } from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { UseSignal } from '@jupyterlab/ui-components';
import type { IDisposable } from '@lumino/disposable';
import * as React from 'react';
import { ACCELERATORS, KERNEL_NAMES, type Accelerator } from './api';
import { acceleratorIcons } from './icons';

/** Which container the session's kernel runs in, or null for a kernel that is not Ariel's. */
export function acceleratorOf(sessionContext: ISessionContext): Accelerator | null {
  const name = sessionContext.session?.kernel?.name ?? sessionContext.kernelPreference.name;
  return ACCELERATORS.find(accelerator => KERNEL_NAMES[accelerator] === name) ?? null;
}

/**
 * Moves the notebook to the container kernel of `accelerator`. When the kernel cannot start (on
 * this machine: a GPU kernel without a GPU), JupyterLab shows the kernel's explanation, and a
 * notification offers the CPU container.
 */
export async function switchKernel(sessionContext: ISessionContext, accelerator: Accelerator): Promise<void> {
  if (acceleratorOf(sessionContext) === accelerator && sessionContext.session?.kernel) {
    return;
  }
  try {
    await sessionContext.changeKernel({ name: KERNEL_NAMES[accelerator] });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    Notification.error(`The ${accelerator.toUpperCase()} container kernel did not start: ${message}`, {
      autoClose: false,
      actions:
        accelerator === 'gpu'
          ? [{ label: 'Use the CPU container', callback: () => void switchKernel(sessionContext, 'cpu') }]
          : []
    });
  }
}

/** The notebook toolbar's CPU/GPU switch: shows the container the notebook runs in, switches in one click. */
export class AcceleratorSwitch extends ReactWidget {
  constructor(private readonly sessionContext: ISessionContext) {
    super();
    this.addClass('jp-Ariel-switch');
  }

  render(): JSX.Element {
    const context = this.sessionContext;
    return (
      <UseSignal signal={context.kernelChanged} initialSender={context}>
        {() => {
          const current = acceleratorOf(context);
          return (
            <div
              className="jp-Ariel-switchGroup"
              role="group"
              aria-label="Container"
              title={current ? `Runs in the ${current.toUpperCase()} container` : 'Not on an Ariel container kernel'}
            >
              {ACCELERATORS.map(accelerator => {
                const Icon = acceleratorIcons[accelerator];
                const active = current === accelerator;
                return (
                  <button
                    key={accelerator}
                    className={`jp-ToolbarButtonComponent jp-Ariel-switchButton${active ? ' jp-mod-active' : ''}`}
                    aria-pressed={active}
                    title={
                      active
                        ? `Runs in the ${accelerator.toUpperCase()} container`
                        : `Switch to the ${accelerator.toUpperCase()} container kernel`
                    }
                    onClick={() => void switchKernel(context, accelerator)}
                  >
                    <Icon.react tag="span" elementSize="small" />
                    <span className="jp-ToolbarButtonComponent-label">{accelerator.toUpperCase()}</span>
                  </button>
                );
              })}
            </div>
          );
        }}
      </UseSignal>
    );
  }
}

/** Adds the switch to every notebook's toolbar. */
export class AcceleratorSwitchExtension implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  createNew(panel: NotebookPanel): IDisposable {
    const widget = new AcceleratorSwitch(panel.sessionContext);
    panel.toolbar.insertBefore('kernelName', 'arielAccelerator', widget);
    return widget;
  }
}
