import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { buildEventsServer } from './events.js';

describe('build events heartbeat', () => {
  it('terminates a peer that stops answering pings and keeps one that answers', async () => {
    const events = buildEventsServer(100);
    const server = createServer();
    server.on('upgrade', (request, socket, head) =>
      events.wss.handleUpgrade(request, socket, head, ws => events.wss.emit('connection', ws, request))
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const answering = new WebSocket(url);
      const silent = new WebSocket(url, { autoPong: false });
      await Promise.all([once(answering, 'open'), once(silent, 'open')]);
      let answeredPings = 0;
      answering.on('ping', () => answeredPings++);

      const [code] = (await once(silent, 'close')) as [number];
      assert.equal(code, 1006, 'terminated, without a closing handshake');
      assert.equal(answering.readyState, WebSocket.OPEN);
      assert.ok(answeredPings > 0);
      answering.close();
    } finally {
      events.close();
      server.close();
    }
  });
});
