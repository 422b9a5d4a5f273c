import { WebSocket, WebSocketServer } from 'ws';
import type { BuildMessage, BuildRegistry } from './builds.js';

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

/** Sends a build's replay, then its live messages; closes the socket once the build has ended. */
export function streamBuild(ws: WebSocket, builds: BuildRegistry, id: string): void {
  ws.on('error', () => ws.terminate());
  const send = (message: BuildMessage) => {
    if (ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (ws.bufferedAmount > MAX_BUFFERED) {
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
    if (message.type === 'state' && message.build.state !== 'running') {
      ws.close(1000, 'build ended');
    }
  };
  const { replay, unsubscribe } = builds.subscribe(id, send);
  ws.on('close', unsubscribe);
  replay.forEach(send);
}
