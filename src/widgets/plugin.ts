import type { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, Notification, ToolbarButton, WidgetTracker, type ICommandPalette } from '@jupyterlab/apputils';
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { IStateDB } from '@jupyterlab/statedb';
import { fileIcon, launchIcon } from '@jupyterlab/ui-components';
import type { IDisposable } from '@lumino/disposable';
import type { Widget } from '@lumino/widgets';
import type { Accelerator, Mode } from '../api';
import { describeError } from '../request';
import { CommandIDs, type IArielModel, type ICloudModel } from '../tokens';
import type { DockerfileInspector } from '../dockerfileInspector';
import type { BuildLogWidget } from './buildLogWidget';
import { targetOf } from './cloudFormState';
import type { CloudFormWidget } from './cloudFormWidget';
import type { ImageDockerfile } from './imageDockerfile';
import type { JobLogWidget } from './jobLogWidget';

const CATEGORY = 'Ariel';

export interface IMainAreaOptions {
  model: IArielModel;
  editorServices: IEditorServices;
  cloud: ICloudModel | null;
  languages: IEditorLanguageRegistry | null;
  restorer: ILayoutRestorer | null;
  palette: ICommandPalette | null;
  notebooks: INotebookTracker | null;
  browser: IDefaultFileBrowser | null;
  state: IStateDB | null;
}

/**
 * The main-area tabs and the commands that open them: the Dockerfile inspector, "Dockerfile as
 * built" of an image, a build's log, a local job's log and "Submit as cloud experiment" (also
 * from the notebook toolbar and the file browser's context menu). Each tab's code loads when it
 * is first opened.
 */
export function activateMainArea(app: JupyterFrontEnd, options: IMainAreaOptions): void {
  const { commands, shell } = app;
  const { model, cloud, restorer, palette } = options;
  const tracker = <T extends Widget>(namespace: string) =>
    new WidgetTracker<MainAreaWidget<T>>({ namespace: `ariel-${namespace}` });
  const add = <T extends Widget>(content: T, track: WidgetTracker<MainAreaWidget<T>>): MainAreaWidget<T> => {
    const widget = new MainAreaWidget({ content });
    widget.id = `${content.id}-tab`;
    void track.add(widget);
    shell.add(widget, 'main');
    return widget;
  };
  const find = <T extends Widget>(track: WidgetTracker<MainAreaWidget<T>>, test: (content: T) => boolean) =>
    track.find(widget => test(widget.content)) ?? null;
  const fail = (what: string) => (error: unknown) =>
    void Notification.error(`Could not open ${what}: ${describeError(error)}`, { autoClose: false });

  // --- Dockerfile inspector
  const inspectors = tracker<DockerfileInspector>('dockerfile');
  const build = (mode: Mode, accelerator: Accelerator) => {
    // The build's log opens beside the inspector once it started.
    const opened = (_: IArielModel, log: { id: string }) => {
      model.buildStarted.disconnect(opened);
      void commands.execute(CommandIDs.openBuildLog, { id: log.id });
    };
    model.buildStarted.connect(opened);
    void commands.execute(CommandIDs.buildImage, { mode, accelerator }).finally(() => {
      model.buildStarted.disconnect(opened);
    });
  };
  commands.addCommand(CommandIDs.openDockerfile, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['notebook', 'shell', 'run', 'cloud'], description: 'The image mode' },
          accelerator: { type: 'string', enum: ['cpu', 'gpu'], description: 'CPU or GPU' },
          compare: { type: 'boolean', description: 'The CPU and GPU Dockerfiles side by side' }
        }
      }
    },
    label: 'Open the Dockerfile Inspector',
    caption: 'The Dockerfile Ariel generates for the project, for each mode; CPU and GPU side by side',
    icon: fileIcon,
    execute: async args => {
      let widget = inspectors.currentWidget;
      if (!widget || widget.isDisposed) {
        const { DockerfileInspector } = await import('../dockerfileInspector');
        widget = add(new DockerfileInspector(model, options.editorServices, options.languages, build), inspectors);
      }
      const change: Partial<{ mode: Mode; accelerator: Accelerator; compare: boolean }> = {};
      if (typeof args.mode === 'string') {
        change.mode = args.mode as Mode;
      }
      if (args.accelerator === 'cpu' || args.accelerator === 'gpu') {
        change.accelerator = args.accelerator;
      }
      if (typeof args.compare === 'boolean') {
        change.compare = args.compare;
      }
      if (Object.keys(change).length) {
        widget.content.set(change);
      }
      shell.activateById(widget.id);
      return widget;
    }
  });
  restorer?.restore(inspectors, { command: CommandIDs.openDockerfile, name: () => 'dockerfile' });

  // --- Dockerfile as built
  const images = tracker<ImageDockerfile>('image-dockerfile');
  commands.addCommand(CommandIDs.openImageDockerfile, {
    describedBy: {
      args: {
        type: 'object',
        properties: { ref: { type: 'string', description: 'The image reference, repository:tag' } },
        required: ['ref']
      }
    },
    label: args => (args.ref ? `Dockerfile as Built of ${args.ref}` : 'Dockerfile as Built'),
    caption: 'The Dockerfile the image was built from; for an outdated image, beside the current one',
    icon: fileIcon,
    execute: async args => {
      const reference = String(args.ref ?? '');
      if (!reference) {
        throw new Error(`${CommandIDs.openImageDockerfile} needs { ref }: the image reference.`);
      }
      let widget = find(images, content => content.reference === reference);
      if (!widget) {
        const { ImageDockerfile } = await import('./imageDockerfile');
        const content = new ImageDockerfile(model.client, reference, options.editorServices, options.languages);
        widget = add(content, images);
        void content.load().catch(fail(`the Dockerfile of ${reference}`));
      }
      shell.activateById(widget.id);
      return widget;
    }
  });
  restorer?.restore(images, {
    command: CommandIDs.openImageDockerfile,
    args: widget => ({ ref: widget.content.reference }),
    name: widget => widget.content.reference
  });

  // --- A build's log
  const buildLogs = tracker<BuildLogWidget>('build-log');
  commands.addCommand(CommandIDs.openBuildLog, {
    describedBy: {
      args: {
        type: 'object',
        properties: { id: { type: 'string', description: "The build's id" } },
        required: ['id']
      }
    },
    label: 'Open a Build Log',
    caption: "A build's live log in a tab",
    execute: async args => {
      const id = String(args.id ?? '');
      if (!id) {
        throw new Error(`${CommandIDs.openBuildLog} needs { id }: the build's id.`);
      }
      let widget = find(buildLogs, content => content.buildId === id);
      if (!widget) {
        const { BuildLogWidget } = await import('./buildLogWidget');
        widget = add(new BuildLogWidget(model, id), buildLogs);
        void model.refresh();
      }
      shell.activateById(widget.id);
      return widget;
    }
  });

  // --- A local job's log
  const jobLogs = tracker<JobLogWidget>('job-log');
  commands.addCommand(CommandIDs.openJobLog, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          id: { type: 'number', description: "The job's id in the job history" },
          name: { type: 'string', description: "The job's display name" }
        },
        required: ['id']
      }
    },
    label: "Open a Job's Log",
    caption: "A local job's kept output, followed while it runs",
    execute: async args => {
      const id = Number(args.id);
      if (!Number.isInteger(id) || id < 1) {
        throw new Error(`${CommandIDs.openJobLog} needs { id }: the job's id in the job history.`);
      }
      let widget = find(jobLogs, content => content.follower.jobId === id);
      if (!widget) {
        const { JobLogWidget } = await import('./jobLogWidget');
        const name = typeof args.name === 'string' ? args.name : `job ${id}`;
        widget = add(new JobLogWidget(model.client, id, name, model.maxLogLines), jobLogs);
      }
      shell.activateById(widget.id);
      return widget;
    }
  });

  // --- Submit as cloud experiment
  if (cloud) {
    addCloudForm(app, options, cloud, tracker, add, fail);
  }

  palette?.addItem({ command: CommandIDs.openDockerfile, category: CATEGORY });
}

function addCloudForm(
  app: JupyterFrontEnd,
  options: IMainAreaOptions,
  cloud: ICloudModel,
  tracker: <T extends Widget>(namespace: string) => WidgetTracker<MainAreaWidget<T>>,
  add: <T extends Widget>(content: T, track: WidgetTracker<MainAreaWidget<T>>) => MainAreaWidget<T>,
  fail: (what: string) => (error: unknown) => void
): void {
  const { commands, shell } = app;
  const { model, browser, notebooks } = options;
  const forms = tracker<CloudFormWidget>('cloud-form');
  commands.addCommand(CommandIDs.openCloudForm, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'A notebook, script or module folder, relative to Jupyter’s root' },
          isDirectory: { type: 'boolean', description: 'The path is a module folder' },
          fromBrowser: { type: 'boolean', description: "The target is the file browser's selected item" }
        }
      }
    },
    label: args => (args.fromBrowser ? 'Submit as Cloud Experiment…' : 'Submit as Cloud Experiment'),
    caption: 'Open the cloud experiment form, with this target',
    icon: launchIcon,
    execute: async args => {
      let path = typeof args.path === 'string' ? args.path : null;
      let isDirectory = args.isDirectory === true;
      if (args.fromBrowser && browser) {
        const item = browser.selectedItems().next();
        if (!item.done) {
          path = item.value.path;
          isDirectory = item.value.type === 'directory';
        }
      }
      let widget = forms.currentWidget;
      if (!widget || widget.isDisposed) {
        const { CloudFormWidget } = await import('./cloudFormWidget');
        const content = new CloudFormWidget({
          model,
          cloud,
          state: options.state,
          currentNotebook: () => notebooks?.currentWidget?.context.path ?? null,
          onError: message => void Notification.error(message, { autoClose: false })
        });
        widget = add(content, forms);
      }
      if (path !== null) {
        if (!model.project) {
          await model.refreshProject().catch(fail('the project'));
        }
        const root = model.project?.root ?? '';
        void widget.content.setTarget(targetOf(path, root, isDirectory) ?? path);
      }
      shell.activateById(widget.id);
      return widget;
    }
  });
  options.restorer?.restore(forms, { command: CommandIDs.openCloudForm, name: () => 'cloud-form' });
  options.palette?.addItem({ command: CommandIDs.openCloudForm, category: CATEGORY });

  // The file browser's context menu, on a notebook, a Python file or a folder (a module with __main__.py).
  for (const selector of [
    '.jp-DirListing-item[data-file-type="notebook"]',
    '.jp-DirListing-item[data-file-type="python"]',
    '.jp-DirListing-item[data-isdir="true"]'
  ]) {
    app.contextMenu.addItem({ command: CommandIDs.openCloudForm, args: { fromBrowser: true }, selector, rank: 60 });
  }

  // The notebook toolbar's button.
  app.docRegistry.addWidgetExtension('Notebook', {
    createNew(panel: NotebookPanel, context: DocumentRegistry.IContext<INotebookModel>): IDisposable {
      const button = new ToolbarButton({
        icon: launchIcon,
        className: 'jp-Ariel-submitCloud',
        tooltip: 'Submit this notebook as a cloud experiment',
        onClick: () => void commands.execute(CommandIDs.openCloudForm, { path: context.path })
      });
      panel.toolbar.insertItem(10, 'arielSubmitCloud', button);
      return button;
    }
  });
}
