import { ReactWidget } from '@jupyterlab/apputils';
import { UseSignal } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';
import { BuildDetail } from '../components/BuildsView';
import type { IArielModel } from '../tokens';

/** One build's live log in a main-area tab, opened from the Builds list: it follows the log while the build runs. */
export class BuildLogWidget extends ReactWidget {
  constructor(
    private readonly _model: IArielModel,
    readonly buildId: string
  ) {
    super();
    this.addClass('jp-Ariel-buildLogWidget');
    this.id = `jp-ariel-build-log-${buildId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    this.title.closable = true;
    this._updateTitle();
    _model.changed.connect(this._updateTitle, this);
  }

  dispose(): void {
    this._model.changed.disconnect(this._updateTitle, this);
    super.dispose();
  }

  protected onBeforeShow(msg: Message): void {
    super.onBeforeShow(msg);
    this._model.active = true;
  }

  protected render(): JSX.Element {
    const model = this._model;
    return (
      <UseSignal signal={model.changed}>
        {() => {
          const build = model.builds.find(each => each.id === this.buildId);
          if (!build) {
            return (
              <p className="jp-Ariel-muted">
                Build {this.buildId} is not in the companion server&apos;s list (it keeps the recent ones).
              </p>
            );
          }
          return (
            <div className="jp-Ariel-buildPage">
              <h2 className="jp-Ariel-pageTitle">
                <span className={`jp-Ariel-state jp-Ariel-state-${build.state}`}>{build.state}</span> {build.mode} ·{' '}
                {build.accelerator.toUpperCase()} · {build.project || '/'}
                <span className="jp-Ariel-muted"> {build.image}</span>
              </h2>
              <BuildDetail key={build.id} build={build} log={model.follow(build.id)} model={model} />
            </div>
          );
        }}
      </UseSignal>
    );
  }

  private _updateTitle(): void {
    const build = this._model.builds.find(each => each.id === this.buildId);
    this.title.label = build ? `Build: ${build.mode} ${build.accelerator.toUpperCase()}` : 'Build log';
    this.title.caption = build ? `${build.image}: ${build.state}` : `Build ${this.buildId}`;
  }
}
