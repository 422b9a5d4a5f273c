import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Signal, type ISignal } from '@lumino/signaling';
import type { ErrorBody, ErrorCode } from './api';
import type { IArielClient } from './tokens';

/** The code of an answer that says the server extension or the companion behind it is not there. */
export const UNAVAILABLE: ErrorCode = 'companion-unavailable';

/** A non-2xx answer from `ariel/…`, with the server's stable code and the action to take. */
export class ArielRequestError extends ServerConnection.ResponseError {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(response: Response, body: Partial<ErrorBody>) {
    super(response, body.message ?? `${response.status} ${response.statusText}`);
    this.name = 'ArielRequestError';
    // A 404 under ariel/ means no handler is there at all: the server extension is not loaded.
    this.code = body.code ?? (response.status === 404 || response.status === 503 ? UNAVAILABLE : 'http-error');
    this.hint = body.hint;
  }

  /** The server extension or the companion server behind it does not answer. */
  get unavailable(): boolean {
    return this.code === UNAVAILABLE;
  }
}

/** The one way the frontend talks to the companion server: `{baseUrl}ariel/<path>` with Jupyter's auth. */
export class ArielClient implements IArielClient {
  constructor(readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  /** Emitted when the server extension or the companion server cannot be reached (404, 503, network). */
  get connectionFailure(): ISignal<this, Error> {
    return this._connectionFailure;
  }

  /** Emitted on the first answer after a failure. */
  get connectionRestored(): ISignal<this, void> {
    return this._connectionRestored;
  }

  url(path: string, query: Record<string, string | undefined> = {}): string {
    const url = URLExt.join(this.serverSettings.baseUrl, 'ariel', path);
    const params = Object.entries(query)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
    return params.length ? `${url}?${params.join('&')}` : url;
  }

  async request<T>(path: string, init: IArielClient.IRequestInit = {}): Promise<T> {
    const { query, json, ...rest } = init;
    if (json !== undefined) {
      rest.body = JSON.stringify(json);
      rest.headers = { 'Content-Type': 'application/json', ...rest.headers };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(this.url(path, query), rest, this.serverSettings);
    } catch (error) {
      const failure = new ServerConnection.NetworkError(error as TypeError);
      this._fail(failure);
      throw failure;
    }
    const text = await response.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: a proxy's or Jupyter's own HTML error page.
    }
    if (!response.ok) {
      const error = new ArielRequestError(response, (data ?? {}) as Partial<ErrorBody>);
      if (error.unavailable) {
        this._fail(error);
      } else {
        this._restored();
      }
      throw error;
    }
    this._restored();
    return data as T;
  }

  /** A WebSocket under `ariel/`, authenticated as Jupyter's own kernel and terminal sockets are. */
  socket(...path: string[]): WebSocket {
    const settings = this.serverSettings;
    let url = URLExt.join(settings.wsUrl, 'ariel', ...path.map(encodeURIComponent));
    if (settings.token && settings.appendToken) {
      url += `?token=${encodeURIComponent(settings.token)}`;
    }
    return new settings.WebSocket(url);
  }

  private _fail(error: Error): void {
    this._failing = true;
    this._connectionFailure.emit(error);
  }

  private _restored(): void {
    if (this._failing) {
      this._failing = false;
      this._connectionRestored.emit();
    }
  }

  private _failing = false;
  private _connectionFailure = new Signal<this, Error>(this);
  private _connectionRestored = new Signal<this, void>(this);
}

/** One line for a notification or an inline message: what went wrong, then what to do. */
export function describeError(error: unknown): string {
  if (error instanceof ArielRequestError) {
    return error.hint ? `${error.message} ${error.hint}` : error.message;
  }
  if (error instanceof ServerConnection.NetworkError) {
    return 'Jupyter Server does not answer. Check that it is still running, then reload the page.';
  }
  return error instanceof Error ? error.message : String(error);
}
