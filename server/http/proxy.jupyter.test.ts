import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JUPYTER_ENV } from '../testing/jupyter.js';
import { FORWARDED, SOCKET_ROUTES } from './routes.js';

// Jupyter's proxy (jupyterlab_ariel/handlers.py) spells the routes it forwards in Python; the
// contract's routes are TypeScript. A route added on one side only fails here.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** handlers.py's ROUTES and SOCKETS as `METHOD /path/:param` and `/path/:param`. */
function pythonAllowlist(): { routes: string[]; sockets: string[] } {
  const script = [
    'import json',
    'from jupyterlab_ariel.handlers import ROUTES, SOCKETS',
    'print(json.dumps({"routes": [[m, p.pattern] for m, p, _ in ROUTES], "sockets": [p.pattern for p in SOCKETS]}))'
  ].join('\n');
  const out = execFileSync(join(JUPYTER_ENV, 'bin', 'python'), ['-c', script], { cwd: REPO, encoding: 'utf8' });
  const { routes, sockets } = JSON.parse(out) as { routes: [string, string][]; sockets: string[] };
  const path = (pattern: string) => `/${pattern.replaceAll('[^/]+', ':param')}`;
  return { routes: routes.map(([method, pattern]) => `${method} ${path(pattern)}`), sockets: sockets.map(path) };
}

const byParam = (route: string) => route.replace(/:\w+/g, ':param');

describe("Jupyter's proxy allowlist", () => {
  it("forwards exactly the contract's routes marked as forwarded", () => {
    const forwarded = Object.entries(FORWARDED)
      .filter(([, why]) => why === true)
      .map(([route]) => byParam(route));
    assert.deepEqual(pythonAllowlist().routes.sort(), forwarded.sort());
  });

  it("forwards exactly the companion's event sockets", () => {
    const sockets = SOCKET_ROUTES.map(route => byParam(route).replace(/\/events$/, ''));
    assert.deepEqual(pythonAllowlist().sockets.sort(), sockets.sort());
  });
});
