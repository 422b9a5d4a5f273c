import { Signal, type ISignal } from '@lumino/signaling';
import type { JobLog, Routes } from '../api';
import { describeError } from '../request';
import type { IArielClient } from '../tokens';

/** A running job's log is asked for again this often. */
export const JOB_LOG_POLL_MS = 1000;

/**
 * A local job's kept log, followed while the job runs: its last part first, then what the job
 * adds, asked for from the offset of the last answer until the log can grow no more. Keeps the
 * last `maxLines` lines.
 */
export class JobLogFollower {
  constructor(
    private readonly _client: IArielClient,
    readonly jobId: number,
    private readonly _maxLines = 1000,
    private readonly _pollMs = JOB_LOG_POLL_MS
  ) {}

  /** Emitted on every change: lines, state, error. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last lines of the log, the open last one included. */
  get lines(): readonly string[] {
    return this._partial ? [...this._lines, this._partial] : this._lines;
  }

  /** The job's display name once known, its state, and whether the log is complete. */
  get job(): string | null {
    return this._last?.job ?? null;
  }

  get state(): string | null {
    return this._last?.state ?? null;
  }

  get final(): boolean {
    return this._last?.final ?? false;
  }

  /** Earlier output left out of the first answer (the log was longer than one part). */
  get truncated(): boolean {
    return this._truncated;
  }

  get error(): string | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Starts following (once); resolves when the log is complete, or on the first error. */
  start(): Promise<void> {
    this._running ??= this._follow();
    return this._running;
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._wake?.();
    }
    Signal.clearData(this);
  }

  private async _follow(): Promise<void> {
    let offset: number | undefined = undefined;
    while (!this._disposed) {
      let part: JobLog;
      try {
        part = await this._client.request<Routes['GET /cloud/jobs/:id/log']>(
          `cloud/jobs/${this.jobId}/log`,
          offset === undefined ? {} : { query: { offset: String(offset) } }
        );
      } catch (error) {
        this._error = describeError(error);
        this._changed.emit();
        return;
      }
      if (this._disposed) {
        return;
      }
      if (offset === undefined && part.start > 0) {
        this._truncated = true;
      }
      this._append(part.text);
      this._last = part;
      this._error = null;
      this._changed.emit();
      const caughtUp = part.offset >= part.size;
      if (part.final && caughtUp) {
        return;
      }
      offset = part.offset;
      if (caughtUp) {
        await new Promise<void>(resolve => {
          this._wake = resolve;
          this._timer = setTimeout(resolve, this._pollMs);
        });
        this._timer = null;
      }
    }
  }

  /** Whole lines are kept; a last line without its break (the log's end) stays open until it comes. */
  private _append(text: string): void {
    const lines = (this._partial + text).split('\n');
    this._partial = lines.pop() ?? '';
    this._lines.push(...lines);
    if (this._lines.length > this._maxLines) {
      this._lines.splice(0, this._lines.length - this._maxLines);
    }
  }

  private _lines: string[] = [];
  private _partial = '';
  private _last: JobLog | null = null;
  private _truncated = false;
  private _error: string | null = null;
  private _disposed = false;
  private _running: Promise<void> | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _wake: (() => void) | null = null;
  private _changed = new Signal<this, void>(this);
}
