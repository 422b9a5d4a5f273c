import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import type { IStateDB } from '@jupyterlab/statedb';
import { UseSignal } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import * as React from 'react';
import { CloudForm } from '../cloudPanel';
import type { IArielModel, ICloudModel } from '../tokens';
import { EMPTY_FORM, restoreValues, stateKey, type ICloudFormValues } from './cloudFormState';

/** Values are written to the state database this long after the last change. */
const SAVE_DELAY_MS = 400;

export namespace CloudFormWidget {
  export interface IOptions {
    model: IArielModel;
    cloud: ICloudModel;
    /** Where the form's last values are kept, per project; without it they last as long as the page. */
    state: IStateDB | null;
    /** The open notebook's path, relative to Jupyter's root, if any. */
    currentNotebook: () => string | null;
    onError: (message: string) => void;
  }
}

/**
 * "Submit as cloud experiment" as a main-area form: the project the file browser shows, with its
 * last values restored from JupyterLab's state database (per project), or a target it was
 * opened for (a notebook, a script or a module folder).
 */
export class CloudFormWidget extends ReactWidget {
  constructor(private readonly _options: CloudFormWidget.IOptions) {
    super();
    this.addClass('jp-Ariel-cloudFormWidget');
    this.id = 'jp-ariel-cloud-form';
    this.title.label = 'Cloud Experiment';
    this.title.caption = 'Submit as cloud experiment';
    this.title.closable = true;
    _options.model.changed.connect(this._onModelChanged, this);
  }

  get values(): Readonly<ICloudFormValues> {
    return this._values;
  }

  /** The project whose values are shown ('' for Jupyter's root), or null before a project is known. */
  get project(): string | null {
    return this._project;
  }

  /** Resolves when the values of the current project have been read. */
  get ready(): Promise<void> {
    return this._loading;
  }

  /** Puts a target in the form (once the project's saved values are read, so that they do not replace it). */
  async setTarget(target: string): Promise<void> {
    this._pendingTarget = target;
    this.change({ target });
    // Values being read for a project take the target when they arrive (see _load); a project
    // found while waiting starts another read, which is waited for too.
    let loading: Promise<void>;
    do {
      loading = this._loading;
      await loading;
    } while (loading !== this._loading);
    if (this._pendingTarget === target) {
      this._pendingTarget = null;
    }
  }

  change(change: Partial<ICloudFormValues>): void {
    this._values = { ...this._values, ...change };
    this._changed.emit();
    this._scheduleSave();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._flush();
    Signal.clearData(this);
    super.dispose();
  }

  protected onBeforeShow(msg: Message): void {
    super.onBeforeShow(msg);
    this._options.cloud.active = true;
    this._options.model.active = true;
    void this._options.cloud.loadCatalog().catch(() => undefined);
    this._onModelChanged();
  }

  protected render(): JSX.Element {
    const { model, cloud, currentNotebook, onError } = this._options;
    return (
      <UseSignal signal={this._changed}>
        {() => (
          <UseSignal signal={cloud.changed}>
            {() => (
              <UseSignal signal={model.changed}>
                {() => (
                  <div className="jp-Ariel-cloudFormPage">
                    <h2 className="jp-Ariel-pageTitle">
                      Submit as cloud experiment
                      <span className="jp-Ariel-muted"> · {model.project?.root || model.path || '/'}</span>
                    </h2>
                    <CloudForm
                      model={cloud}
                      path={model.path}
                      projectRoot={model.project?.root ?? null}
                      currentNotebook={currentNotebook}
                      values={this._values}
                      onChange={change => this.change(change)}
                      confirm={confirmWarnings}
                      onError={onError}
                    />
                  </div>
                )}
              </UseSignal>
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
  }

  /** A new project shown: saves the last one's values, then reads its own. */
  private _onModelChanged(): void {
    const project = this._options.model.project?.root ?? null;
    if (project === null || project === this._project) {
      return;
    }
    this._flush();
    this._project = project;
    this._loading = this._load(project);
  }

  private async _load(project: string): Promise<void> {
    const { state } = this._options;
    let saved: unknown = undefined;
    try {
      saved = state ? await state.fetch(stateKey(project)) : this._memory.get(project);
    } catch {
      // Nothing saved, or unreadable: the empty form.
    }
    if (this._project !== project) {
      return;
    }
    this._values = restoreValues(saved ?? EMPTY_FORM, this._pendingTarget);
    this._pendingTarget = null;
    this._changed.emit();
  }

  private _scheduleSave(): void {
    if (this._saveTimer !== null) {
      clearTimeout(this._saveTimer);
    }
    this._saveTimer = setTimeout(() => this._flush(), SAVE_DELAY_MS);
  }

  private _flush(): void {
    if (this._saveTimer !== null) {
      clearTimeout(this._saveTimer);
      this._saveTimer = null;
    }
    if (this._project === null) {
      return;
    }
    const values = { ...this._values };
    this._memory.set(this._project, values);
    void this._options.state
      ?.save(stateKey(this._project), values as unknown as ReadonlyPartialJSONObject)
      .catch(error => console.warn('Ariel: could not keep the cloud form values.', error));
  }

  private _values: ICloudFormValues = { ...EMPTY_FORM };
  private _project: string | null = null;
  private _pendingTarget: string | null = null;
  private _loading: Promise<void> = Promise.resolve();
  private _saveTimer: ReturnType<typeof setTimeout> | null = null;
  private _memory = new Map<string, ICloudFormValues>();
  private _changed = new Signal<this, void>(this);
}

/** Asks whether to submit although the cloud image differs from what the notebook ran; true to go on. */
export async function confirmWarnings(warnings: string[]): Promise<boolean> {
  const body = (
    <div className="jp-Ariel-checkDialog">
      <p>The cloud jobs would not run with what the notebook ran:</p>
      <ul>
        {warnings.map(warning => (
          <li key={warning}>{warning}</li>
        ))}
      </ul>
    </div>
  );
  const answer = await showDialog({
    title: 'Submit with a different environment?',
    body,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Submit anyway' })]
  });
  return answer.button.accept;
}
