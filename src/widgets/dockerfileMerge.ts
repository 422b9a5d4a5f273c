import { MergeView } from '@codemirror/merge';
import { syntaxHighlighting, type LanguageSupport } from '@codemirror/language';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { jupyterHighlightStyle, jupyterTheme, type IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { CodeEditor, CodeEditorWrapper, type IEditorServices } from '@jupyterlab/codeeditor';
import { type Panel, Widget } from '@lumino/widgets';

/** The two Dockerfiles a merge view compares, each with its title. */
export interface IDockerfilePair {
  a: { title: string; text: string };
  b: { title: string; text: string };
}

/**
 * Two Dockerfiles side by side, read-only, highlighted as JupyterLab highlights a Dockerfile
 * (its language registry's Dockerfile mode), the changed lines marked: CodeMirror's merge view.
 */
export class DockerfileMerge extends Widget {
  constructor(private readonly _languages: IEditorLanguageRegistry | null) {
    super();
    this.addClass('jp-Ariel-merge');
    this._titles = document.createElement('div');
    this._titles.className = 'jp-Ariel-mergeTitles';
    this._host = document.createElement('div');
    this._host.className = 'jp-Ariel-mergeHost';
    this.node.append(this._titles, this._host);
  }

  /** What is shown, or null before the first `show`. */
  get pair(): IDockerfilePair | null {
    return this._pair;
  }

  /** Shows two Dockerfiles (a new view each time: both documents change together). */
  async setPair(pair: IDockerfilePair): Promise<void> {
    this._pair = pair;
    const language = await this._language();
    if (this._pair !== pair || this.isDisposed) {
      return; // A newer pair came while the language loaded.
    }
    this._view?.destroy();
    this._titles.replaceChildren(
      ...[pair.a.title, pair.b.title].map(title => {
        const span = document.createElement('span');
        span.textContent = title;
        return span;
      })
    );
    const extensions: Extension[] = [
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      lineNumbers(),
      jupyterTheme,
      syntaxHighlighting(jupyterHighlightStyle),
      ...(language ? [language] : [])
    ];
    this._view = new MergeView({
      a: { doc: pair.a.text, extensions },
      b: { doc: pair.b.text, extensions },
      parent: this._host,
      gutter: true,
      highlightChanges: true
    });
  }

  dispose(): void {
    this._view?.destroy();
    this._view = null;
    super.dispose();
  }

  private async _language(): Promise<LanguageSupport | null> {
    if (this._support === undefined) {
      const language = await this._languages?.getLanguage('text/x-dockerfile').catch(() => null);
      this._support = language?.support ?? null;
    }
    return this._support;
  }

  private _titles: HTMLDivElement;
  private _host: HTMLDivElement;
  private _view: MergeView | null = null;
  private _pair: IDockerfilePair | null = null;
  private _support: LanguageSupport | null | undefined = undefined;
}

/**
 * Adds to `panel` what both Dockerfile tabs show: a read-only Dockerfile editor, highlighted, and
 * below it a merge view (hidden until a comparison is asked for), labelled `mergeLabel`.
 */
export function addDockerfileViews(
  panel: Panel,
  editorServices: IEditorServices,
  languages: IEditorLanguageRegistry | null,
  mergeLabel: string
): { editor: CodeEditorWrapper; merge: DockerfileMerge } {
  const editor = new CodeEditorWrapper({
    factory: editorServices.factoryService.newDocumentEditor,
    model: new CodeEditor.Model({ mimeType: 'text/x-dockerfile' }),
    editorOptions: { config: { readOnly: true, lineNumbers: true, lineWrap: false } }
  });
  editor.addClass('jp-Ariel-dockerfile');
  const merge = new DockerfileMerge(languages);
  merge.node.setAttribute('aria-label', mergeLabel);
  merge.hide();
  panel.addWidget(editor);
  panel.addWidget(merge);
  return { editor, merge };
}
