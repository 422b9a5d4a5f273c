import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { engineError, isRedirect } from './engine.js';

// A fake engine on a Unix socket that answers every request with a redirect, as Docker answers
// a path it cleans (`/containers/a/../b/json`): the client must not follow it anywhere.

describe('the engine client', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ariel-engine-'));
  const socketPath = join(folder, 'docker.sock');
  /** Where the redirects point: a server that counts the requests that reach it. */
  let elsewhere: Server;
  let reached: string[] = [];
  let engine: Server;
  let location = '';

  before(async () => {
    elsewhere = createServer((request, response) => {
      reached.push(request.url ?? '');
      response.end('{}');
    });
    elsewhere.listen(0, '127.0.0.1');
    await once(elsewhere, 'listening');
    engine = createServer((_request, response) => {
      response.writeHead(301, { Location: location, 'Content-Type': 'text/html' });
      response.end('<a href="/">Moved Permanently</a>.');
    });
    engine.listen(socketPath);
    await once(engine, 'listening');
  });
  after(() => {
    elsewhere.close();
    engine.close();
    rmSync(folder, { recursive: true, force: true });
  });

  for (const [what, target] of [
    ['another address', () => `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/x/json`],
    // What Docker answers for `/containers/<id>%2F..%2F<other>`: a relative path whose first part
    // the old client took for a host name (a failed lookup that crashed the companion).
    ['a path of its own', () => '/containers/other/json']
  ] as const) {
    it(`follows no redirect from the engine to ${what}, and reports it as an error`, async () => {
      location = target();
      reached = [];
      const docker = new Docker({ socketPath });
      const error = await docker
        .getContainer('a')
        .inspect()
        .then(
          () => assert.fail('a redirect is not an answer'),
          (failure: unknown) => failure
        );
      assert.ok(isRedirect(error), String(error));
      assert.match(String(engineError(docker, error)), /answered with a redirect, which Ariel does not follow/);
      // A request the redirect made would have been sent before this one.
      await fetch(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/marker`).then(r => r.text());
      assert.deepEqual(reached, ['/marker']);
    });
  }
});
