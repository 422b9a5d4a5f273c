import { Panel, Widget } from '@lumino/widgets';
import type { Message } from '@lumino/messaging';
import { arielIcon } from './icons';

/**
 * Ariel's tab in the left area. It is there from the start, so the layout restorer and the
 * "show sidebar" command find it, but the sidebar itself (most of the extension's code, its
 * editor and its first requests) is created when the tab is first shown: a page that does not
 * show it loads none of that before JupyterLab is restored.
 */
export class SidebarHost extends Panel {
  constructor(private readonly _create: () => Promise<Widget>) {
    super();
    this.id = 'jp-ariel-sidebar';
    // Sized by CSS, as the sidebar is: its sections' proportions are set at its first show, which
    // must find it at its full height (a BoxPanel would size it only a message later).
    this.addClass('jp-Ariel-sidebarHost');
    this.title.icon = arielIcon;
    this.title.caption = 'Ariel: containers for this project';
  }

  /** Creates the sidebar, once; resolves with it. */
  load(): Promise<Widget> {
    this._loading ??= this._create().then(
      content => {
        this._problem?.dispose();
        // Added hidden, then shown: it gets the same show messages as when the tab is shown later.
        content.hide();
        this.addWidget(content);
        content.show();
        return content;
      },
      (error: unknown) => {
        this._loading = null; // The next show tries again.
        this._problem?.dispose();
        this._problem = new Widget();
        this._problem.addClass('jp-Ariel-error');
        this._problem.node.textContent =
          `Ariel's sidebar could not be loaded (${error instanceof Error ? error.message : String(error)}). ` +
          'Check that Jupyter Server still runs, then reload the page.';
        this.addWidget(this._problem);
        throw error;
      }
    );
    return this._loading;
  }

  protected onBeforeShow(msg: Message): void {
    super.onBeforeShow(msg);
    this.load().catch(error => console.error("Ariel: the sidebar's code could not be loaded.", error));
  }

  private _loading: Promise<Widget> | null = null;
  private _problem: Widget | null = null;
}
