import { Signal, type ISignal } from '@lumino/signaling';
import type { BuildMessage, BuildState, Build, ErrorBody } from './api';
import type { IArielClient, IBuildLog } from './tokens';

const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 10_000;
/** Attempts in a row without a message before the log gives up (a forgotten build, a server gone). */
const MAX_RECONNECTS = 8;

/**
 * The live log of one build, from `ariel/builds/:id/events`: the server replays what happened so
 * far, then streams. Keeps the last `maxLines` lines only. Reconnects with jittered exponential
 * backoff while the build is not finished (a replay then starts the log over).
 */
export class BuildLog implements IBuildLog {
  constructor(
    private readonly client: IArielClient,
    readonly id: string,
    private _maxLines: number
  ) {
    this._done = new Promise<void>((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    // Nobody may wait for it; an unhandled rejection would only be noise.
    this._done.catch(() => undefined);
    this._connect();
  }

  /** Emitted on every event (new lines, progress, state). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get lines(): readonly string[] {
    return this._lines;
  }

  get state(): BuildState {
    return this._state;
  }

  /** Steps done and steps in all, once the first step began. */
  get progress(): { step: number; total: number } | null {
    return this._progress;
  }

  /** The build as the last state message described it. */
  get build(): Build | null {
    return this._build;
  }

  get error(): ErrorBody | null {
    return this._error;
  }

  get finished(): boolean {
    return this._state === 'succeeded' || this._state === 'failed' || this._state === 'cancelled';
  }

  /** Resolves when the build succeeds; rejects with its error when it fails or is cancelled. */
  get done(): Promise<void> {
    return this._done;
  }

  get maxLines(): number {
    return this._maxLines;
  }

  set maxLines(value: number) {
    this._maxLines = value;
    this._trim();
    this._changed.emit();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    clearTimeout(this._timer);
    this._socket?.close();
    Signal.clearData(this);
  }

  private _connect(): void {
    const socket = this.client.socket('builds', this.id, 'events');
    this._socket = socket;
    let replayStarted = false;
    socket.onmessage = message => {
      if (!replayStarted) {
        // A reconnect gets the whole (bounded) log again.
        replayStarted = true;
        this._lines = [];
        this._attempt = 0;
      }
      try {
        this._handle(JSON.parse(String(message.data)) as BuildMessage);
      } catch {
        this._append(String(message.data));
      }
      this._changed.emit();
    };
    socket.onclose = () => {
      if (this._disposed || this.finished) {
        return;
      }
      if (this._attempt >= MAX_RECONNECTS) {
        this._error = {
          code: 'companion-unavailable',
          message: "Lost the connection to this build's log.",
          hint: 'Reload the page to follow it again; the build goes on meanwhile.'
        };
        this._changed.emit();
        return;
      }
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this._attempt++);
      this._timer = setTimeout(() => this._connect(), delay * (0.5 + Math.random() / 2));
    };
    socket.onerror = () => {
      // onclose follows and reconnects.
    };
  }

  private _handle(event: BuildMessage): void {
    switch (event.type) {
      case 'step':
        this._progress = { step: event.index, total: event.total };
        this._append(`Step ${event.index}/${event.total} : ${event.instruction}`);
        break;
      case 'cached':
        this._append(' ---> Using cache');
        break;
      case 'output':
        this._append(event.line);
        break;
      case 'done':
        this._append(event.reused ? `${event.image} is up to date.` : `Built ${event.image}.`);
        break;
      case 'error':
        this._error = event.error;
        break;
      case 'state':
        this._build = event.build;
        if (event.build.step) {
          this._progress = { step: event.build.step.index, total: event.build.step.total };
        }
        this._error = event.build.error ?? this._error;
        if (event.build.state === 'running') {
          this._state = 'running';
        } else {
          this._finish(event.build.state);
        }
        break;
    }
  }

  private _finish(state: BuildState): void {
    if (this.finished) {
      return;
    }
    this._state = state;
    this._socket?.close();
    if (state === 'succeeded') {
      if (this._progress) {
        this._progress = { step: this._progress.total, total: this._progress.total };
      }
      this._resolve();
    } else {
      const error: ErrorBody = this._error ?? {
        code: state === 'cancelled' ? 'cancelled' : 'build-failed',
        message: `The build was ${state}.`
      };
      this._reject(Object.assign(new Error(error.message), error));
    }
  }

  private _append(text: string): void {
    for (const line of text.replace(/\r?\n$/, '').split(/\r?\n/)) {
      this._lines.push(line);
    }
    this._trim();
  }

  private _trim(): void {
    if (this._lines.length > this._maxLines) {
      this._lines.splice(0, this._lines.length - this._maxLines);
    }
  }

  private _socket: WebSocket | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _attempt = 0;
  private _disposed = false;
  private _lines: string[] = [];
  private _state: BuildState = 'running';
  private _build: Build | null = null;
  private _progress: { step: number; total: number } | null = null;
  private _error: ErrorBody | null = null;
  private _done: Promise<void>;
  private _resolve!: () => void;
  private _reject!: (error: Error) => void;
  private _changed = new Signal<this, void>(this);
}
