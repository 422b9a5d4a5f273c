import { Dialog, Notification, ReactWidget, showDialog } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import {
  PanelWithToolbar,
  SidePanel,
  ToolbarButton,
  UseSignal,
  refreshIcon,
  cleaningIcon,
  fileIcon,
  launchIcon
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import type { CommandRegistry } from '@lumino/commands';
import type { AccordionPanel, Widget } from '@lumino/widgets';
import * as React from 'react';
import { JobsView } from './jobsPanel';
import { BuildsView } from './components/BuildsView';
import { ImagesView } from './components/ImagesView';
import { ProjectView } from './components/ProjectView';
import { RunningView } from './components/RunningView';
import { describeError } from './request';
import { CommandIDs, type IArielModel, type ICloudModel } from './tokens';

export namespace ArielSidebar {
  export interface IOptions {
    model: IArielModel;
    kernels: Kernel.IManager;
    /** The commands that open the main-area tabs (Dockerfile inspector, logs, cloud form) and prune. */
    commands: CommandRegistry;
    /** Cloud experiments: the jobs list; without it, the sidebar has no jobs section. */
    cloud: ICloudModel | null;
  }
}

/**
 * Ariel's sidebar, what is glanced at: the project, builds, images, running kernels and containers,
 * jobs, as lists with their states. The work opens in main-area tabs: the Dockerfile inspector,
 * a build's or a job's log, the cloud experiment form.
 */
export class ArielSidebar extends SidePanel {
  constructor(options: ArielSidebar.IOptions) {
    super();
    const { model } = options;
    this._model = model;
    // Its tab (id, icon, caption) is the SidebarHost's, which creates it when first shown.
    this.addClass('jp-Ariel-sidebar');

    const project = section(
      'Project',
      view(model, () => <ProjectView model={model} />)
    );
    project.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Reload the project and the lists',
        onClick: () => {
          void model.refreshProject();
          void model.refresh();
        }
      })
    );
    this.addWidget(project);

    const { commands } = options;
    const open = (command: string, args: Record<string, string | number> = {}) =>
      void commands.execute(command, args).catch(error => console.error(`Ariel: ${command} failed.`, error));
    const builds = section(
      'Builds',
      view(model, () => <BuildsView model={model} onOpen={id => open(CommandIDs.openBuildLog, { id })} />)
    );
    builds.toolbar.addItem(
      'dockerfile',
      new ToolbarButton({
        icon: fileIcon,
        label: 'Dockerfile',
        tooltip: 'Open the Dockerfile inspector: the generated Dockerfile of each mode, CPU and GPU side by side',
        onClick: () => open(CommandIDs.openDockerfile)
      })
    );
    this.addWidget(builds);

    const images = section(
      'Images',
      view(model, () => (
        <ImagesView
          model={model}
          onRemove={reference => void this._removeImage(reference)}
          onOpenDockerfile={
            commands.hasCommand(CommandIDs.openImageDockerfile)
              ? reference => open(CommandIDs.openImageDockerfile, { ref: reference })
              : undefined
          }
        />
      ))
    );
    images.toolbar.addItem(
      'prune',
      new ToolbarButton({
        icon: cleaningIcon,
        tooltip: 'Remove the images no longer current',
        onClick: () => open(CommandIDs.pruneImages)
      })
    );
    this.addWidget(images);

    const kernels = options.kernels;
    const running = ReactWidget.create(
      <UseSignal signal={kernels.runningChanged} initialArgs={[...kernels.running()]}>
        {(_, running) => (
          <UseSignal signal={model.changed}>
            {() => (
              <RunningView
                model={model}
                kernels={running ?? []}
                onStopKernel={id => void this._act(kernels.shutdown(id))}
                onStopContainer={id => void this._act(model.stopContainer(id))}
              />
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
    this.addWidget(section('Running', running));

    const { cloud } = options;
    this._cloud = cloud;
    if (cloud) {
      this._addJobs(cloud, open);
    }
    (this.content as AccordionPanel).setRelativeSizes(cloud ? [0.8, 1.2, 1.2, 1, 2] : [0.8, 1.2, 1.2, 1]);
  }

  /** The jobs list; its toolbar opens the cloud experiment form, a local job opens its log. */
  private _addJobs(cloud: ICloudModel, open: (command: string, args?: Record<string, string | number>) => void): void {
    const jobs = section(
      'Jobs',
      ReactWidget.create(
        <UseSignal signal={cloud.changed}>
          {() => (
            <JobsView
              model={cloud}
              onAct={action => void this._act(action)}
              onOpenLog={job => open(CommandIDs.openJobLog, { id: job.id, name: job.displayName })}
            />
          )}
        </UseSignal>
      )
    );
    jobs.toolbar.addItem(
      'submit',
      new ToolbarButton({
        icon: launchIcon,
        label: 'Submit',
        tooltip: 'Submit as cloud experiment: open the form',
        onClick: () => open(CommandIDs.openCloudForm)
      })
    );
    jobs.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: "Ask for the jobs' states now",
        onClick: () => void cloud.refresh()
      })
    );
    this.addWidget(jobs);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.active = true;
    if (this._cloud) {
      this._cloud.active = true;
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.active = false;
    if (this._cloud) {
      this._cloud.active = false;
    }
  }

  private async _removeImage(reference: string): Promise<void> {
    const answer = await showDialog({
      title: 'Remove image',
      body: `Remove ${reference}? Kernels and shells build it again when they need it.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
    });
    if (answer.button.accept) {
      await this._act(this._model.removeImage(reference));
    }
  }

  private async _act(action: Promise<unknown>): Promise<void> {
    try {
      await action;
    } catch (error) {
      Notification.error(describeError(error), { autoClose: false });
    }
  }

  private _model: IArielModel;
  private _cloud: ICloudModel | null;
}

function section(title: string, content: Widget): PanelWithToolbar {
  const panel = new PanelWithToolbar();
  panel.title.label = title;
  panel.addClass('jp-Ariel-section');
  panel.addWidget(content);
  return panel;
}

function view(model: IArielModel, render: () => JSX.Element): ReactWidget {
  return ReactWidget.create(<UseSignal signal={model.changed}>{render}</UseSignal>);
}
