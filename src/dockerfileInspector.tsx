import { Clipboard, ReactWidget } from '@jupyterlab/apputils';
import { CodeEditor, CodeEditorWrapper, type IEditorServices } from '@jupyterlab/codeeditor';
import { Button, HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import { Panel } from '@lumino/widgets';
import * as React from 'react';
import { ACCELERATORS, MODES, type Accelerator, type Mode } from './api';
import { lineDiff, type IDiffLine } from './format';
import { describeError } from './request';
import type { IArielModel } from './tokens';

interface IInspectorState {
  mode: Mode;
  accelerator: Accelerator;
  showDiff: boolean;
  image: string;
  error: string | null;
  diff: IDiffLine[] | null;
}

/**
 * The Dockerfile Ariel generates for the project, for any mode and accelerator: read-only in
 * JupyterLab's own editor (so it is highlighted as the theme says), with copy, build and a
 * line diff of the CPU image's Dockerfile against the GPU one's.
 */
export class DockerfileInspector extends Panel {
  constructor(
    private readonly model: IArielModel,
    editorServices: IEditorServices,
    private readonly onBuild: (mode: Mode, accelerator: Accelerator) => void
  ) {
    super();
    this.addClass('jp-Ariel-inspector');
    this._state.accelerator = model.defaultAccelerator;
    this._header = ReactWidget.create(
      <UseSignal signal={this._stateChanged}>{() => <InspectorHeader inspector={this} />}</UseSignal>
    );
    this._header.addClass('jp-Ariel-inspectorHeader');
    this._editor = new CodeEditorWrapper({
      factory: editorServices.factoryService.newDocumentEditor,
      model: new CodeEditor.Model({ mimeType: 'text/x-dockerfile' }),
      editorOptions: { config: { readOnly: true, lineNumbers: true, lineWrap: false } }
    });
    this._editor.addClass('jp-Ariel-dockerfile');
    this._diff = ReactWidget.create(
      <UseSignal signal={this._stateChanged}>{() => <DiffView inspector={this} />}</UseSignal>
    );
    this._diff.addClass('jp-Ariel-diff');
    this._diff.hide();
    this.addWidget(this._header);
    this.addWidget(this._editor);
    this.addWidget(this._diff);
    model.changed.connect(this._onModelChanged, this);
  }

  get state(): Readonly<IInspectorState> {
    return this._state;
  }

  get text(): string {
    return this._editor.model.sharedModel.getSource();
  }

  set(change: Partial<Pick<IInspectorState, 'mode' | 'accelerator' | 'showDiff'>>): void {
    this._state = { ...this._state, ...change };
    this._stateChanged.emit();
    void this.reload();
  }

  copy(): void {
    Clipboard.copyToSystem(this.text);
  }

  build(): void {
    this.onBuild(this._state.mode, this._state.accelerator);
  }

  /** Loads the Dockerfile for the current choices (and both accelerators' for the diff). */
  async reload(): Promise<void> {
    const { mode, accelerator, showDiff } = this._state;
    const path = this.model.path;
    this._loadedFor = `${path}\n${this.model.project?.root}`;
    // Choices change faster than answers come: only the answer to the last one is shown.
    const request = ++this._requests;
    try {
      const [chosen, cpu, gpu] = await Promise.all([
        this.model.dockerfile(mode, accelerator, path),
        ...(showDiff ? ACCELERATORS.map(other => this.model.dockerfile(mode, other, path)) : [])
      ]);
      if (request !== this._requests) {
        return;
      }
      this._editor.model.sharedModel.setSource(chosen.dockerfile);
      this._state = {
        ...this._state,
        image: chosen.image,
        error: null,
        diff: cpu && gpu ? lineDiff(cpu.dockerfile, gpu.dockerfile) : null
      };
    } catch (error) {
      if (request !== this._requests) {
        return;
      }
      this._editor.model.sharedModel.setSource('');
      this._state = { ...this._state, image: '', error: describeError(error), diff: null };
    }
    this._editor.setHidden(showDiff);
    this._diff.setHidden(!showDiff);
    this._stateChanged.emit();
  }

  dispose(): void {
    Signal.clearData(this);
    this._editor.model.dispose();
    super.dispose();
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
    showDiff: false,
    image: '',
    error: null,
    diff: null
  };
  private _loadedFor: string | null = null;
  private _requests = 0;
  private _stateChanged = new Signal<this, void>(this);
  private _header: ReactWidget;
  private _editor: CodeEditorWrapper;
  private _diff: ReactWidget;
}

function InspectorHeader({ inspector }: { inspector: DockerfileInspector }): JSX.Element {
  const { mode, accelerator, showDiff, image, error } = inspector.state;
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
          disabled={showDiff}
          onChange={event => inspector.set({ accelerator: event.currentTarget.value as Accelerator })}
          options={ACCELERATORS.map(value => ({ value, label: value.toUpperCase() }))}
        />
      </div>
      <div className="jp-Ariel-row">
        <label className="jp-Ariel-toggle" title="Show how the GPU image's Dockerfile differs from the CPU one's">
          <input
            type="checkbox"
            checked={showDiff}
            onChange={event => inspector.set({ showDiff: event.currentTarget.checked })}
          />
          Diff CPU/GPU
        </label>
        <Button small minimal onClick={() => inspector.copy()} disabled={!!error} title="Copy the Dockerfile">
          Copy
        </Button>
        <Button small onClick={() => inspector.build()} disabled={!!error} title={`Build ${image || 'the image'}`}>
          Build
        </Button>
      </div>
      {image && (
        <p className="jp-Ariel-muted jp-Ariel-image" title={image}>
          {image}
        </p>
      )}
      {error && <p className="jp-Ariel-error">{error}</p>}
    </>
  );
}

function DiffView({ inspector }: { inspector: DockerfileInspector }): JSX.Element {
  const { diff } = inspector.state;
  if (!diff) {
    return <></>;
  }
  return (
    <pre className="jp-Ariel-diffText" aria-label="Dockerfile diff, CPU against GPU">
      {diff.map((line, index) => (
        <div key={index} className={`jp-Ariel-diff-${line.kind}`}>
          {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
          {line.text}
        </div>
      ))}
    </pre>
  );
}
