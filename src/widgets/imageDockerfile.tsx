import { ReactWidget } from '@jupyterlab/apputils';
import type { CodeEditorWrapper, IEditorServices } from '@jupyterlab/codeeditor';
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { Panel } from '@lumino/widgets';
import * as React from 'react';
import type { ImageRecord, Routes } from '../api';
import { describeError } from '../request';
import type { IArielClient } from '../tokens';
import { addDockerfileViews, type DockerfileMerge } from './dockerfileMerge';
import { asBuiltView } from './inspectorState';

/**
 * "Dockerfile as built" of one image, as its record keeps it (`GET /images/:ref/record`); for an
 * outdated image, beside the Dockerfile the project generates now, in the merge view.
 */
export class ImageDockerfile extends Panel {
  constructor(
    private readonly _client: IArielClient,
    readonly reference: string,
    editorServices: IEditorServices,
    languages: IEditorLanguageRegistry | null
  ) {
    super();
    this.addClass('jp-Ariel-inspector');
    this.addClass('jp-Ariel-asBuilt');
    this.id = `jp-ariel-image-dockerfile-${reference.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const short = reference.slice(reference.lastIndexOf('/') + 1);
    this.title.label = `Dockerfile: ${short}`;
    this.title.caption = `The Dockerfile ${reference} was built from`;
    this.title.closable = true;
    this._header = ReactWidget.create(<></>);
    this.addWidget(this._header);
    ({ editor: this._editor, merge: this._merge } = addDockerfileViews(
      this,
      editorServices,
      languages,
      'Dockerfile as built beside the current one'
    ));
    this._render(<p className="jp-Ariel-muted">Reading the image&apos;s record…</p>);
  }

  /** Reads the image's record and shows its Dockerfile (and the current one's difference). */
  async load(): Promise<void> {
    let record: ImageRecord;
    try {
      record = await this._client.request<Routes['GET /images/:reference/record']>(
        `images/${encodeURIComponent(this.reference)}/record`
      );
    } catch (error) {
      this._render(<p className="jp-Ariel-error">{describeError(error)}</p>);
      this._editor.hide();
      return;
    }
    const view = asBuiltView(record);
    if (view.kind === 'compare') {
      await this._merge.setPair(view.pair);
      this._editor.hide();
      this._merge.show();
      this._render(
        <p className="jp-Ariel-row">
          <span className="jp-Ariel-state">outdated</span>
          <span className="jp-Ariel-grow">
            The project now builds <code>{view.current}</code>; left as built, right as generated now.
            {view.sameDockerfile && ' The Dockerfile is the same: the files it copies changed.'}
          </span>
        </p>
      );
    } else {
      this._editor.model.sharedModel.setSource(view.text);
      this._render(
        <p className="jp-Ariel-row">
          <span className="jp-Ariel-grow">
            As built: <code className="jp-Ariel-image">{record.image}</code>
          </span>
        </p>
      );
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._editor.model.dispose();
    super.dispose();
  }

  private _render(content: JSX.Element): void {
    this._header.dispose();
    this._header = ReactWidget.create(content);
    this._header.addClass('jp-Ariel-inspectorHeader');
    this.insertWidget(0, this._header);
  }

  private _header: ReactWidget;
  private _editor: CodeEditorWrapper;
  private _merge: DockerfileMerge;
}
