import { Signal } from '@lumino/signaling';
import { ArielRequestError } from '../request';
import type { ErrorBody } from '../api';
import type { IArielClient } from '../tokens';

/** A WebSocket the test drives: it delivers messages and closes when told. */
export class FakeSocket {
  constructor(readonly path: string[]) {}

  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;

  /** The server sends a message. */
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** The connection drops (or the server closes it). */
  drop(): void {
    if (!this.closed) {
      this.closed = true;
      this.onclose?.();
    }
  }

  close(): void {
    this.drop();
  }
}

type Answer = unknown | ((init: IArielClient.IRequestInit) => unknown);

/** A request the fake client got, with what it was asked. */
export interface IRequestSeen {
  path: string;
  init: IArielClient.IRequestInit;
}

/**
 * An IArielClient that answers from a table of path → answer (a value, a function of the request,
 * or an Error to reject with), records the requests and the sockets it opened.
 */
export class FakeClient implements IArielClient {
  constructor(readonly answers: Record<string, Answer> = {}) {}

  readonly requests: IRequestSeen[] = [];
  readonly sockets: FakeSocket[] = [];
  readonly connectionFailure: Signal<IArielClient, Error> = new Signal<IArielClient, Error>(this);
  readonly connectionRestored: Signal<IArielClient, void> = new Signal<IArielClient, void>(this);

  async request<T>(path: string, init: IArielClient.IRequestInit = {}): Promise<T> {
    this.requests.push({ path, init });
    if (!(path in this.answers)) {
      throw new Error(`FakeClient: no answer for ${path}`);
    }
    const answer = this.answers[path];
    const value =
      typeof answer === 'function' ? (answer as (init: IArielClient.IRequestInit) => unknown)(init) : answer;
    const settled = await value;
    if (settled instanceof Error) {
      throw settled;
    }
    return settled as T;
  }

  socket(...path: string[]): WebSocket {
    const socket = new FakeSocket(path);
    this.sockets.push(socket);
    return socket as unknown as WebSocket;
  }

  /** The paths asked for, in order. */
  paths(): string[] {
    return this.requests.map(request => request.path);
  }
}

/** The error the client rejects with for a non-2xx answer carrying Ariel's error body. */
export function requestError(status: number, body: ErrorBody): ArielRequestError {
  return new ArielRequestError(new Response(JSON.stringify(body), { status }), body);
}

/** A promise and the functions that settle it, for answers that arrive when the test says. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

/** Waits (with real timers) until `condition` holds: JupyterLab's Poll ticks on animation frames and timeouts. */
export async function until(condition: () => boolean, what = 'the condition'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) {
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}
