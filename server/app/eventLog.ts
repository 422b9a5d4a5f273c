import type { ArielError } from '../errors.js';

/** Gets every message an entry publishes while it runs, up to its last. */
export type Subscriber<M> = (message: M) => void;

export interface EventLogOptions<M> {
  /** Messages kept per entry for replay to late subscribers; the oldest go first. */
  logLines: number;
  /** Finished entries kept (the newest); older ones are forgotten, so a long-lived server stays bounded. */
  keepFinished: number;
  /** Whether `next` takes the place of `last` in the log instead of following it (news that only matters as the latest). */
  replaces?: (last: M, next: M) => boolean;
  /** The error for an id that is unknown or forgotten. */
  notFound: (id: string) => ArielError;
}

interface Entry<V, M> {
  value: V;
  log: M[];
  /** What the work published once it settled (its outcome and final state); replayed after the log. */
  last: M[];
  running: boolean;
  subscribers: Set<Subscriber<M>>;
  abort: AbortController;
  settled: Promise<void>;
}

/**
 * Long operations that the companion runs in the background (image builds, cloud submissions),
 * each under an id with a value (its state, changed in place by the caller) and a log of the
 * messages it published: late subscribers get the log replayed, then the live messages. Logs and
 * the number of finished entries are bounded.
 */
export class EventLogRegistry<V, M> {
  private readonly entries = new Map<string, Entry<V, M>>();

  constructor(private readonly options: EventLogOptions<M>) {}

  /**
   * Runs `work`, which publishes messages as it goes and resolves with its last messages (an
   * outcome, a final state); `work` must not reject. Aborting the signal asks it to stop.
   */
  start(id: string, value: V, work: (publish: (message: M) => void, signal: AbortSignal) => Promise<M[]>): void {
    const abort = new AbortController();
    const entry: Entry<V, M> = {
      value,
      log: [],
      last: [],
      running: true,
      subscribers: new Set(),
      abort,
      settled: Promise.resolve()
    };
    const publish = (message: M) => {
      const previous = entry.log.at(-1);
      if (previous !== undefined && this.options.replaces?.(previous, message)) {
        entry.log[entry.log.length - 1] = message;
      } else {
        entry.log.push(message);
        if (entry.log.length > this.options.logLines) {
          entry.log.shift();
        }
      }
      entry.subscribers.forEach(subscriber => subscriber(message));
    };
    this.entries.set(id, entry);
    entry.settled = work(publish, abort.signal).then(last => {
      entry.running = false;
      entry.last = last;
      last.forEach(message => entry.subscribers.forEach(subscriber => subscriber(message)));
      entry.subscribers.clear();
      this.forgetOld();
    });
  }

  /** The entry's value; throws `notFound` for an unknown id. */
  get(id: string): V {
    return this.entry(id).value;
  }

  /** Whether the entry's work is still running. */
  running(id: string): boolean {
    return this.entry(id).running;
  }

  /** Every entry known, newest first. */
  values(): V[] {
    return [...this.entries.values()].map(entry => entry.value).reverse();
  }

  /** The values of the entries that run, oldest first. */
  runningValues(): V[] {
    return [...this.entries.values()].filter(entry => entry.running).map(entry => entry.value);
  }

  /** The log so far and the last messages if settled; while it runs, `subscriber` gets what follows. */
  subscribe(id: string, subscriber: Subscriber<M>): { replay: M[]; unsubscribe: () => void } {
    const entry = this.entry(id);
    if (entry.running) {
      entry.subscribers.add(subscriber);
    }
    return { replay: [...entry.log, ...entry.last], unsubscribe: () => entry.subscribers.delete(subscriber) };
  }

  /** Asks the entry's work to stop and resolves once it has settled (at once for a finished one). */
  async cancel(id: string): Promise<V> {
    const entry = this.entry(id);
    entry.abort.abort();
    await entry.settled;
    return entry.value;
  }

  /** Stops every entry's work and waits until all have settled. */
  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    entries.forEach(entry => entry.abort.abort());
    await Promise.all(entries.map(entry => entry.settled));
  }

  private entry(id: string): Entry<V, M> {
    const entry = this.entries.get(id);
    if (!entry) {
      throw this.options.notFound(id);
    }
    return entry;
  }

  private forgetOld(): void {
    const finished = [...this.entries].filter(([, entry]) => !entry.running);
    for (const [id] of finished.slice(0, Math.max(0, finished.length - this.options.keepFinished))) {
      this.entries.delete(id);
    }
  }
}
