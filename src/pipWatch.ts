import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker, NotebookActions, type Notebook } from '@jupyterlab/notebook';
import { IArielModel } from './tokens';

/** Refreshes the drift after each `%pip`/`!pip` cell of a container kernel. */
export const pipWatchPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-ariel:pip-watch',
  description: "Refreshes the Running section's drift after a %pip or !pip cell of a container kernel.",
  autoStart: true,
  requires: [IArielModel, INotebookTracker],
  activate: async (_app: JupyterFrontEnd, model: IArielModel, notebooks: INotebookTracker): Promise<void> => {
    const { PipWatcher } = await import('./drift');
    const watcher = new PipWatcher(model);
    const kernelOf = (notebook: Notebook) =>
      notebooks.find(panel => panel.content === notebook)?.sessionContext.session?.kernel?.name;
    NotebookActions.executed.connect((_, { notebook, cell }) => {
      if (cell.model.type === 'code') {
        void watcher.cellExecuted(kernelOf(notebook), cell.model.sharedModel.getSource()).catch(() => undefined);
      }
    });
  }
};
