import { Dialog, Notification, ReactWidget, showDialog } from '@jupyterlab/apputils';
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { Kernel } from '@jupyterlab/services';
import {
  PanelWithToolbar,
  SidePanel,
  ToolbarButton,
  UseSignal,
  refreshIcon,
  cleaningIcon
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import type { AccordionPanel, Widget } from '@lumino/widgets';
import * as React from 'react';
import type { Accelerator, Mode } from './api';
import { CloudForm } from './cloudPanel';
import { JobsView } from './jobsPanel';
import { BuildsView } from './components/BuildsView';
import { ImagesView } from './components/ImagesView';
import { ProjectView } from './components/ProjectView';
import { RunningView } from './components/RunningView';
import { DockerfileInspector } from './dockerfileInspector';
import { describeError } from './request';
import type { IArielModel, ICloudModel } from './tokens';

export namespace ArielSidebar {
  export interface IOptions {
    model: IArielModel;
    editorServices: IEditorServices;
    kernels: Kernel.IManager;
    /** Starts a build (and says so); the builds section shows its log. */
    build: (mode: Mode, accelerator: Accelerator) => void;
    /** Removes the project's images that are no longer current. */
    prune: () => void;
    /** Cloud experiments: the submit panel and the jobs list; without it, the sidebar has no cloud sections. */
    cloud: ICloudModel | null;
    /** The open notebook's path, relative to Jupyter's root, if any. */
    currentNotebook: () => string | null;
  }
}

/** Ariel's sidebar: project, builds with their live log, the Dockerfile inspector, images, running containers. */
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

    const builds = view(model, () => <BuildsView model={model} />);
    builds.addClass('jp-Ariel-buildsWidget');
    this.addWidget(section('Builds', builds));

    const inspector = new DockerfileInspector(model, options.editorServices, options.build);
    this.addWidget(section('Dockerfile', inspector));

    const images = section(
      'Images',
      view(model, () => <ImagesView model={model} onRemove={reference => void this._removeImage(reference)} />)
    );
    images.toolbar.addItem(
      'prune',
      new ToolbarButton({ icon: cleaningIcon, tooltip: 'Remove the images no longer current', onClick: options.prune })
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
      this._addCloudSections(cloud, options);
    }
    // The Dockerfile and the build log need the room.
    (this.content as AccordionPanel).setRelativeSizes(cloud ? [0.8, 3, 2.6, 1, 1, 3, 2] : [0.8, 3, 2.6, 1, 1]);
  }

  /** The cloud experiments' sections: the submit form and the jobs list. */
  private _addCloudSections(cloud: ICloudModel, options: ArielSidebar.IOptions): void {
    const { model } = options;
    const onError = (message: string) => void Notification.error(message, { autoClose: false });
    const form = ReactWidget.create(
      <UseSignal signal={cloud.changed}>
        {() => (
          <UseSignal signal={model.changed}>
            {() => (
              <CloudForm
                model={cloud}
                path={model.path}
                projectRoot={model.project?.root ?? null}
                currentNotebook={options.currentNotebook}
                onError={onError}
              />
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
    form.addClass('jp-Ariel-cloudWidget');
    this.addWidget(section('Submit as cloud experiment', form));
    const jobs = section(
      'Jobs',
      ReactWidget.create(
        <UseSignal signal={cloud.changed}>
          {() => <JobsView model={cloud} onAct={action => void this._act(action)} />}
        </UseSignal>
      )
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
