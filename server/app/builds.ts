import { randomUUID } from 'node:crypto';
import type { AppEvent, Progress } from './index.js';
import type { BuildResult } from '../docker/build.js';
import type { ImageRef } from '../docker/imageRef.js';
import { ArielError } from '../errors.js';
import type { Build, BuildMessage, ErrorBody } from '../http/contract.js';

export type { Build, BuildMessage, BuildState, ErrorBody } from '../http/contract.js';

/** Builds (or finds) an image, reporting progress; rejects with CancelledError on abort. */
export type Prepare = (progress: Required<Progress>) => Promise<BuildResult>;

export interface BuildRegistryOptions {
  /** Log lines (steps, cache hits, output) kept per build and replayed to late subscribers. */
  logLines: number;
  /** Finished builds kept for listing, newest first; older ones are forgotten. */
  keepFinished?: number;
}

export type BuildSubscriber = (message: BuildMessage) => void;

interface Entry {
  build: Build;
  log: BuildMessage[];
  outcome?: BuildMessage;
  subscribers: Set<BuildSubscriber>;
  abort: AbortController;
  settled: Promise<void>;
}

export function errorBody(error: unknown): ErrorBody {
  return error instanceof ArielError
    ? error.toJSON()
    : { code: 'internal', message: (error as Error)?.message ?? String(error) };
}

/**
 * The builds the companion server runs: one per image at a time, each with a bounded log
 * that late subscribers get replayed before the live events.
 */
export class BuildRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: BuildRegistryOptions) {}

  /**
   * Starts `prepare`, which builds `image` of the project (its root relative to Jupyter's),
   * or returns the build of the same image that is running.
   */
  start(image: ImageRef, project: string, prepare: Prepare): Build {
    const running = [...this.entries.values()].find(e => e.build.image === image.name && e.build.state === 'running');
    if (running) {
      return { ...running.build };
    }
    const build: Build = {
      id: randomUUID(),
      image: image.name,
      project,
      mode: image.mode,
      accelerator: image.accelerator,
      state: 'running',
      startedAt: new Date().toISOString()
    };
    const abort = new AbortController();
    const entry: Entry = { build, log: [], subscribers: new Set(), abort, settled: Promise.resolve() };
    const publish = (message: BuildMessage) => entry.subscribers.forEach(subscriber => subscriber(message));
    const onEvent = (event: AppEvent) => {
      if (event.type === 'done' || event.type === 'check') {
        return; // Engine checks are not logged; the outcome is published once the build has settled.
      }
      if (event.type === 'step') {
        build.step = { index: event.index, total: event.total, instruction: event.instruction };
      }
      entry.log.push(event);
      if (entry.log.length > this.options.logLines) {
        entry.log.shift();
      }
      publish(event);
    };
    entry.settled = prepare({ onEvent, signal: abort.signal })
      .then(
        (result): BuildMessage => {
          build.state = 'succeeded';
          return { type: 'done', image: result.image.name, reused: result.reused };
        },
        (error): BuildMessage => {
          build.state = abort.signal.aborted ? 'cancelled' : 'failed';
          build.error = errorBody(error);
          return { type: 'error', error: build.error };
        }
      )
      .then(outcome => {
        build.finishedAt = new Date().toISOString();
        entry.outcome = outcome;
        publish(outcome);
        publish({ type: 'state', build: { ...build } });
        entry.subscribers.clear();
        this.forgetOldBuilds();
      });
    this.entries.set(build.id, entry);
    return { ...build };
  }

  /** All builds known, newest first. */
  list(): Build[] {
    return [...this.entries.values()].map(e => ({ ...e.build })).reverse();
  }

  get(id: string): Build {
    return { ...this.entry(id).build };
  }

  /**
   * The build's log so far, its outcome if it has one, and its state; while it runs,
   * `subscriber` then gets every further message, up to the final state.
   */
  subscribe(id: string, subscriber: BuildSubscriber): { replay: BuildMessage[]; unsubscribe: () => void } {
    const entry = this.entry(id);
    const replay = [
      ...entry.log,
      ...(entry.outcome ? [entry.outcome] : []),
      { type: 'state', build: { ...entry.build } }
    ];
    if (entry.build.state === 'running') {
      entry.subscribers.add(subscriber);
    }
    return { replay: replay as BuildMessage[], unsubscribe: () => entry.subscribers.delete(subscriber) };
  }

  /** Cancels a running build and resolves once it has stopped; a finished build is returned as it is. */
  async cancel(id: string): Promise<Build> {
    const entry = this.entry(id);
    entry.abort.abort();
    await entry.settled;
    return { ...entry.build };
  }

  /** Cancels every running build and waits until they have stopped. */
  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    entries.forEach(entry => entry.abort.abort());
    await Promise.all(entries.map(entry => entry.settled));
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) {
      throw new ArielError('not-found', `No build with id "${id}".`, 'List the builds with GET /builds.');
    }
    return entry;
  }

  private forgetOldBuilds(): void {
    const finished = [...this.entries.values()].filter(e => e.build.state !== 'running');
    for (const entry of finished.slice(0, Math.max(0, finished.length - (this.options.keepFinished ?? 20)))) {
      this.entries.delete(entry.build.id);
    }
  }
}
