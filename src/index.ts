import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import type { Accelerator } from './api';
// The model, its commands and the cloud model are what the plugins provide at activation: loaded at
// once. The sidebar, most of the code, loads when its tab is first shown (see SidebarHost).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { CloudModel, endedMessage } from './cloudModel';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCommands } from './commands';
import { AcceleratorSwitchExtension, acceleratorOf, switchKernel } from './kernelSwitch';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { ArielModel } from './model';
import { pipWatchPlugin } from './pipWatch';
import { ArielClient, ArielRequestError } from './request';
import { SidebarHost } from './sidebarHost';
import { CommandIDs, IArielModel, ICloudModel } from './tokens';
import { FRONTEND_VERSION } from './version';
// Registers the main area's commands at activation; each tab's code loads when it first opens.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { activateMainArea } from './widgets/plugin';
import { acceleratorIcons, arielIcon } from './icons';

const PLUGIN_ID = 'jupyterlab-ariel:plugin';
const CATEGORY = 'Ariel';

/**
 * Ariel's model, its settings, the version handshake and the "server side missing" notification;
 * the commands that act on the model (new notebook, shell, build, prune), which the launcher and
 * the palette offer.
 */
const modelPlugin: JupyterFrontEndPlugin<IArielModel> = {
  id: PLUGIN_ID,
  description: "Ariel's state for the folder the file browser shows, talking to the companion server.",
  autoStart: true,
  provides: IArielModel,
  optional: [ISettingRegistry, IDefaultFileBrowser, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null,
    browser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null
  ): IArielModel => {
    const client = new ArielClient(app.serviceManager.serverSettings);
    const model = new ArielModel(client);
    reportUnavailable(client);

    if (browser) {
      model.path = browser.model.path;
      browser.model.pathChanged.connect((_, change) => (model.path = change.newValue));
    } else {
      model.path = '';
    }

    if (settingRegistry) {
      void app.restored
        .then(() => settingRegistry.load(PLUGIN_ID))
        .then(settings => {
          const apply = () => {
            model.defaultAccelerator = settings.get('defaultAccelerator').composite as Accelerator;
            model.maxLogLines = settings.get('logLines').composite as number;
            model.shellCommand = settings.get('shellCommand').composite as string;
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error(`Ariel: could not load the settings of ${PLUGIN_ID}.`, reason));
    }

    addCommands(app, {
      model,
      cwd: () => model.path,
      // A build's log opens in a tab (the main-area plugin's), or the sidebar lists the builds.
      showLog: () =>
        app.commands.hasCommand(CommandIDs.openBuildLog)
          ? (id: string | null) =>
              void app.commands.execute(id ? CommandIDs.openBuildLog : CommandIDs.showSidebar, id ? { id } : {})
          : app.commands.hasCommand(CommandIDs.showSidebar)
            ? () => void app.commands.execute(CommandIDs.showSidebar)
            : null
    });
    if (palette) {
      for (const command of [CommandIDs.openShell, CommandIDs.pruneImages]) {
        palette.addItem({ command, category: CATEGORY });
      }
      for (const accelerator of ['cpu', 'gpu']) {
        palette.addItem({ command: CommandIDs.newNotebook, args: { accelerator }, category: CATEGORY });
        palette.addItem({ command: CommandIDs.buildImage, args: { accelerator }, category: CATEGORY });
      }
    }

    void app.restored.then(() => checkVersions(model));
    return model;
  }
};

/** The sidebar, following the file browser's folder. */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-ariel:sidebar',
  description: 'The Ariel sidebar: the project, builds, images, running containers and jobs, as lists.',
  autoStart: true,
  requires: [IArielModel],
  optional: [ILayoutRestorer, ICommandPalette, ICloudModel],
  activate: (
    app: JupyterFrontEnd,
    model: IArielModel,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    cloud: ICloudModel | null
  ): void => {
    // The sidebar's code loads when its tab is first shown (see SidebarHost).
    const sidebar = new SidebarHost(async () => {
      const { ArielSidebar } = await import('./sidebar');
      return new ArielSidebar({ cloud, model, kernels: app.serviceManager.kernels, commands: app.commands });
    });
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.showSidebar, {
      describedBy: { args: { type: 'object', properties: {} } },
      label: 'Show the Ariel Sidebar',
      icon: arielIcon,
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({ command: CommandIDs.showSidebar, category: CATEGORY });
  }
};

/**
 * The work in the main area: the Dockerfile inspector, "Dockerfile as built" of an image, a
 * build's and a local job's live log, the cloud experiment form (also from the notebook toolbar
 * and the file browser's context menu).
 */
const mainAreaPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-ariel:main-area',
  description:
    'Main-area tabs: the Dockerfile inspector, Dockerfile as built, build and job logs, Submit as cloud experiment.',
  autoStart: true,
  requires: [IArielModel, IEditorServices],
  optional: [
    ICloudModel,
    IEditorLanguageRegistry,
    ILayoutRestorer,
    ICommandPalette,
    INotebookTracker,
    IDefaultFileBrowser,
    IStateDB
  ],
  activate: (
    app: JupyterFrontEnd,
    model: IArielModel,
    editorServices: IEditorServices,
    cloud: ICloudModel | null,
    languages: IEditorLanguageRegistry | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    browser: IDefaultFileBrowser | null,
    state: IStateDB | null
  ): void =>
    activateMainArea(app, {
      model,
      editorServices,
      cloud,
      languages,
      restorer,
      palette,
      notebooks,
      browser,
      state
    })
};

/** Cloud experiments' model; says in notifications when a group ends or a submission fails. */
const cloudPlugin: JupyterFrontEndPlugin<ICloudModel> = {
  id: 'jupyterlab-ariel:cloud',
  description: 'Cloud experiments and local runs: submissions with their progress, job groups with their states.',
  autoStart: true,
  provides: ICloudModel,
  requires: [IArielModel],
  activate: (app: JupyterFrontEnd, model: IArielModel): ICloudModel => {
    const cloud = new CloudModel(model.client);
    cloud.groupEnded.connect((_, group) => {
      const { ok, message } = endedMessage(group);
      if (ok) {
        Notification.success(message, { autoClose: 8000 });
      } else {
        Notification.error(message, { autoClose: false });
      }
    });
    cloud.submissionFailed.connect((_, { group, error }) => {
      Notification.error(`Cloud experiment ${group}: ${error.message}${error.hint ? ` ${error.hint}` : ''}`, {
        autoClose: false
      });
    });
    return cloud;
  }
};

/** The launcher's "Ariel" category. */
const launcherPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-ariel:launcher',
  description: 'Launcher items: notebooks on the CPU or GPU container, a shell in the project container.',
  autoStart: true,
  requires: [IArielModel],
  optional: [ILauncher],
  activate: (app: JupyterFrontEnd, _model: IArielModel, launcher: ILauncher | null): void => {
    if (!launcher) {
      return;
    }
    launcher.add({
      command: CommandIDs.newNotebook,
      args: { accelerator: 'cpu', isLauncher: true },
      category: CATEGORY,
      rank: 1
    });
    launcher.add({
      command: CommandIDs.newNotebook,
      args: { accelerator: 'gpu', isLauncher: true },
      category: CATEGORY,
      rank: 2
    });
    launcher.add({ command: CommandIDs.openShell, args: { isLauncher: true }, category: CATEGORY, rank: 3 });
  }
};

/** The notebook toolbar's CPU/GPU switch and its palette commands. */
const switchPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-ariel:kernel-switch',
  description: 'A CPU/GPU switch in the notebook toolbar that moves the notebook to the other container kernel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null): void => {
    app.docRegistry.addWidgetExtension('Notebook', new AcceleratorSwitchExtension());
    const current = () => tracker.currentWidget?.sessionContext ?? null;
    const add = (id: string, target: (now: Accelerator | null) => Accelerator, label: string) => {
      app.commands.addCommand(id, {
        describedBy: { args: { type: 'object', properties: {} } },
        label,
        caption: 'Restart the notebook on the other container kernel (its variables are lost)',
        icon: id === CommandIDs.toggleAccelerator ? undefined : acceleratorIcons[target(null)],
        isEnabled: () => current() !== null,
        execute: () => {
          const context = current();
          return context ? switchKernel(context, target(acceleratorOf(context))) : undefined;
        }
      });
      palette?.addItem({ command: id, category: CATEGORY });
    };
    add(CommandIDs.switchToCpu, () => 'cpu', 'Switch Notebook to the CPU Container');
    add(CommandIDs.switchToGpu, () => 'gpu', 'Switch Notebook to the GPU Container');
    add(
      CommandIDs.toggleAccelerator,
      now => (now === 'cpu' ? 'gpu' : 'cpu'),
      'Toggle Notebook between CPU and GPU Containers'
    );
  }
};

/** Says once per outage that the server side does not answer, with what to do. */
function reportUnavailable(client: ArielClient): void {
  let shown: string | null = null;
  client.connectionFailure.connect((_, error) => {
    if (shown !== null) {
      return;
    }
    const detail =
      error instanceof ArielRequestError && error.response.status === 503
        ? `${error.message}${error.hint ? ` ${error.hint}` : ''}`
        : error instanceof ArielRequestError
          ? "Ariel's server extension is not loaded in this Jupyter Server."
          : 'Jupyter Server does not answer.';
    shown = Notification.error(
      `${detail} Check that the jupyterlab-ariel Python package is installed in JupyterLab's environment ` +
        "('jupyter server extension list' shows it enabled), then restart JupyterLab.",
      { autoClose: false }
    );
  });
  client.connectionRestored.connect(() => {
    if (shown !== null) {
      Notification.dismiss(shown);
      shown = null;
    }
  });
}

/** Compares the frontend's version with the server extension's and the companion server's. */
async function checkVersions(model: IArielModel): Promise<void> {
  let versions;
  try {
    versions = await model.handshake();
  } catch {
    return; // reportUnavailable has said so.
  }
  const parts = {
    'JupyterLab extension': FRONTEND_VERSION,
    'server extension': versions.python,
    'companion server': versions.companion
  };
  if (new Set(Object.values(parts)).size > 1) {
    const list = Object.entries(parts)
      .map(([part, version]) => `${part} ${version}`)
      .join(', ');
    Notification.warning(
      `Ariel's parts have different versions (${list}). Reinstall the jupyterlab-ariel Python package ` +
        '(pip install --force-reinstall jupyterlab-ariel), restart JupyterLab and reload this page.',
      { autoClose: false }
    );
  }
}

export default [modelPlugin, cloudPlugin, sidebarPlugin, mainAreaPlugin, launcherPlugin, switchPlugin, pipWatchPlugin];
