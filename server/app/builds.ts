import { randomUUID } from 'node:crypto';
import type { Progress } from './deps.js';
import type { AppEvent } from './events.js';
import type { BuildResult } from '../docker/build.js';
import type { ImageRef } from '../docker/imageRef.js';
import { ArielError } from '../errors.js';
import { EventLogRegistry } from './eventLog.js';
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

export function errorBody(error: unknown): ErrorBody {
  return error instanceof ArielError
    ? error.toJSON()
    : { code: 'internal', message: (error as Error)?.message ?? String(error) };
}

/**
 * The builds the companion server runs: one per image at a time, each with a bounded log
 * that late subscribers get replayed before the live events (an `EventLogRegistry`).
 */
export class BuildRegistry {
  private readonly log: EventLogRegistry<Build, BuildMessage>;

  constructor(options: BuildRegistryOptions) {
    this.log = new EventLogRegistry({
      logLines: options.logLines,
      keepFinished: options.keepFinished ?? 20,
      notFound: id => new ArielError('not-found', `No build with id "${id}".`, 'List the builds with GET /builds.')
    });
  }

  /**
   * Starts `prepare`, which builds `image` of the project (its root relative to Jupyter's),
   * or returns the build of the same image that is running.
   */
  start(image: ImageRef, project: string, prepare: Prepare): Build {
    const running = this.log.runningValues().find(build => build.image === image.name);
    if (running) {
      return { ...running };
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
    this.log.start(build.id, build, async (publish, signal) => {
      const onEvent = (event: AppEvent) => {
        if (event.type === 'done' || event.type === 'check') {
          return; // Engine checks are not logged; the outcome is published once the build has settled.
        }
        if (event.type === 'step') {
          build.step = { index: event.index, total: event.total, instruction: event.instruction };
        }
        publish(event);
      };
      let outcome: BuildMessage;
      try {
        const result = await prepare({ onEvent, signal });
        build.state = 'succeeded';
        outcome = { type: 'done', image: result.image.name, reused: result.reused };
      } catch (error) {
        build.state = signal.aborted ? 'cancelled' : 'failed';
        build.error = errorBody(error);
        outcome = { type: 'error', error: build.error };
      }
      build.finishedAt = new Date().toISOString();
      return [outcome, { type: 'state', build: { ...build } }];
    });
    return { ...build };
  }

  /** All builds known, newest first. */
  list(): Build[] {
    return this.log.values().map(build => ({ ...build }));
  }

  get(id: string): Build {
    return { ...this.log.get(id) };
  }

  /**
   * The build's log so far, its outcome if it has one, and its state; while it runs,
   * `subscriber` then gets every further message, up to the final state.
   */
  subscribe(id: string, subscriber: BuildSubscriber): { replay: BuildMessage[]; unsubscribe: () => void } {
    const running = this.log.running(id);
    const { replay, unsubscribe } = this.log.subscribe(id, subscriber);
    // A finished build's replay ends with its state already.
    return { replay: running ? [...replay, { type: 'state', build: this.get(id) }] : replay, unsubscribe };
  }

  /** Cancels a running build and resolves once it has stopped; a finished build is returned as it is. */
  async cancel(id: string): Promise<Build> {
    return { ...(await this.log.cancel(id)) };
  }

  /** Cancels every running build and waits until they have stopped. */
  close(): Promise<void> {
    return this.log.close();
  }
}
