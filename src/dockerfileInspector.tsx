import { Clipboard, ReactWidget } from '@jupyterlab/apputils';
import type { CodeEditorWrapper, IEditorServices } from '@jupyterlab/codeeditor';
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { Button, HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { Panel } from '@lumino/widgets';
import * as React from 'react';
import { ACCELERATORS, MODES, type Accelerator, type Mode } from './api';
import { describeError } from './request';
import type { IArielModel } from './tokens';
import { addDockerfileViews, type DockerfileMerge } from './widgets/dockerfileMerge';
import { choose, dockerfilesFor, type IInspectorChoice } from './widgets/inspectorState';

interface IInspectorState extends IInspectorChoice {
  image: string;
  error: string | null;
}

/**
 * The Dockerfile Ariel generates for the project, for any mode and accelerator: read-only in
 * JupyterLab's own editor (so it is highlighted as the theme says), with copy and build, and the
 * CPU image's Dockerfile beside the GPU one's in CodeMirror's merge view. A main-area tab.
 */
export class DockerfileInspector extends Panel {
  constructor(
    private readonly model: IArielModel,
    editorServices: IEditorServices,
    languages: IEditorLanguageRegistry | null,
    private readonly onBuild: (mode: Mode, accelerator: Accelerator) => void
  ) {
    super();
    this.addClass('jp-Ariel-inspector');
    this.id = 'jp-ariel-dockerfile-inspector';
    this.title.label = 'Dockerfile';
    this.title.caption = "The Dockerfile Ariel generates for the file browser's project";
    this.title.closable = true;
    this._state.accelerator = model.defaultAccelerator;
    this._header = ReactWidget.create(
      <UseSignal signal={this._stateChanged}>{() => <InspectorHeader inspector={this} />}</UseSignal>
    );
    this._header.addClass('jp-Ariel-inspectorHeader');
    this.addWidget(this._header);
    ({ editor: this._editor, merge: this._merge } = addDockerfileViews(
      this,
      editorServices,
      languages,
      'Dockerfiles side by side, CPU and GPU'
    ));
    model.changed.connect(this._onModelChanged, this);
  }

  get state(): Readonly<IInspectorState> {
    return this._state;
  }

  get text(): string {
    return this._editor.model.sharedModel.getSource();
  }

  set(change: Partial<IInspectorChoice>): void {
    const choice = choose(this._state, change);
    this._state = { ...this._state, ...choice };
    this._stateChanged.emit();
    void this.reload();
  }

  copy(): void {
    Clipboard.copyToSystem(this.text);
  }

  build(): void {
    this.onBuild(this._state.mode, this._state.accelerator);
  }

  /** Loads the Dockerfile for the current choices (or both accelerators' for the comparison). */
  async reload(): Promise<void> {
    const { mode, accelerator, compare } = this._state;
    const path = this.model.path;
    this._loadedFor = `${path}\n${this.model.project?.root}`;
    // Choices change faster than answers come: only the answer to the last one is shown.
    const request = ++this._requests;
    try {
      const wanted = dockerfilesFor(this._state);
      const [chosen, answers] = await Promise.all([
        compare ? this.model.dockerfile(mode, accelerator, path) : null,
        Promise.all(wanted.map(each => this.model.dockerfile(each.mode, each.accelerator, path)))
      ]);
      if (request !== this._requests) {
        return;
      }
      const shown = chosen ?? answers[0];
      this._editor.model.sharedModel.setSource(shown.dockerfile);
      if (compare) {
        const [cpu, gpu] = answers;
        await this._merge.setPair({
          a: { title: `CPU: ${cpu.image}`, text: cpu.dockerfile },
          b: { title: `GPU: ${gpu.image}`, text: gpu.dockerfile }
        });
      }
      this._state = { ...this._state, image: shown.image, error: null };
    } catch (error) {
      if (request !== this._requests) {
        return;
      }
      this._editor.model.sharedModel.setSource('');
      this._state = { ...this._state, image: '', error: describeError(error) };
    }
    const showMerge = compare && !this._state.error;
    this._editor.setHidden(showMerge);
    this._merge.setHidden(!showMerge);
    this._stateChanged.emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    Signal.clearData(this);
    this._editor.model.dispose();
    super.dispose();
  }

  protected onBeforeShow(msg: Message): void {
    super.onBeforeShow(msg);
    this.model.active = true;
    this._onModelChanged();
  }

  private _onModelChanged(): void {
    // The lists refresh every few seconds; only a new folder or project needs a new Dockerfile.
    if (this._loadedFor !== `${this.model.path}\n${this.model.project?.root}`) {
      void this.reload();
    }
  }

  private _state: IInspectorState = {
    mode: 'notebook',
    accelerator: 'cpu',
    compare: false,
    image: '',
    error: null
  };
  private _loadedFor: string | null = null;
  private _requests = 0;
  private _stateChanged = new Signal<this, void>(this);
  private _header: ReactWidget;
  private _editor: CodeEditorWrapper;
  private _merge: DockerfileMerge;
}

function InspectorHeader({ inspector }: { inspector: DockerfileInspector }): JSX.Element {
  const { mode, accelerator, compare, image, error } = inspector.state;
  return (
    <>
      <div className="jp-Ariel-row">
        <HTMLSelect
          aria-label="Mode"
          value={mode}
          onChange={event => inspector.set({ mode: event.currentTarget.value as Mode })}
          options={MODES.map(value => ({ value, label: value }))}
        />
        <HTMLSelect
          aria-label="Accelerator"
          value={accelerator}
          onChange={event => inspector.set({ accelerator: event.currentTarget.value as Accelerator })}
          options={ACCELERATORS.map(value => ({ value, label: value.toUpperCase() }))}
        />
        <label className="jp-Ariel-toggle" title="Show the CPU image's Dockerfile beside the GPU one's">
          <input
            type="checkbox"
            checked={compare}
            onChange={event => inspector.set({ compare: event.currentTarget.checked })}
          />
          Compare CPU/GPU
        </label>
        <Button small minimal onClick={() => inspector.copy()} disabled={!!error} title="Copy the Dockerfile">
          Copy
        </Button>
        <Button small onClick={() => inspector.build()} disabled={!!error} title={`Build ${image || 'the image'}`}>
          Build
        </Button>
        {image && (
          <span className="jp-Ariel-muted jp-Ariel-image jp-Ariel-grow" title={image}>
            {image}
          </span>
        )}
      </div>
      {error && <p className="jp-Ariel-error">{error}</p>}
    </>
  );
}
