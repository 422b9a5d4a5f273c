import { WebSocket, WebSocketServer } from 'ws';
import type { BuildMessage, BuildRegistry } from '../app/builds.js';

/** A subscriber that lets this much pile up unsent is too slow to follow a build; it is dropped. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export interface BuildEventsServer {
  wss: WebSocketServer;
  /** Stops the heartbeat and closes every socket. */
  close(): void;
}

/**
 * WebSockets for build events, upgraded by the caller once it has authenticated the request
 * (which then emits `connection`). A ping heartbeat terminates peers that stopped answering.
 */
export function buildEventsServer(heartbeatMs: number): BuildEventsServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', ws => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();
  return {
    wss,
    close: () => {
      clearInterval(heartbeat);
      wss.clients.forEach(ws => ws.terminate());
      wss.close();
    }
  };
}

/**
 * Sends a subscription's replay, then its live messages, over a socket; closes the socket after
 * the last message. Builds and cloud submissions stream this way.
 */
export function streamMessages<T>(
  ws: WebSocket,
  subscribe: (send: (message: T) => void) => { replay: T[]; unsubscribe: () => void },
  isLast: (message: T) => boolean
): void {
  ws.on('error', () => ws.terminate());
  const send = (message: T) => {
    if (ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (ws.bufferedAmount > MAX_BUFFERED) {
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
    if (isLast(message)) {
      ws.close(1000, 'ended');
    }
  };
  const { replay, unsubscribe } = subscribe(send);
  ws.on('close', unsubscribe);
  replay.forEach(send);
}

/** Sends a build's replay, then its live messages; closes the socket once the build has ended. */
export function streamBuild(ws: WebSocket, builds: BuildRegistry, id: string): void {
  streamMessages<BuildMessage>(
    ws,
    send => builds.subscribe(id, send),
    message => message.type === 'state' && message.build.state !== 'running'
  );
}
