import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import * as names from './names.js';

/** jupyterlab_ariel/names.py, from the compiled test's folder (dist/server) or the source's (server). */
const PYTHON_NAMES = fileURLToPath(new URL('../../jupyterlab_ariel/names.py', import.meta.url));

/** The public constants of names.py, read by Python itself. */
function pythonNames(): Record<string, unknown> {
  const script =
    'import json, runpy, sys\n' +
    'names = runpy.run_path(sys.argv[1])\n' +
    'print(json.dumps({k: v for k, v in names.items() if k.isupper()}))\n';
  return JSON.parse(execFileSync('python3', ['-c', script, PYTHON_NAMES], { encoding: 'utf8' })) as Record<
    string,
    unknown
  >;
}

describe('names both languages spell', () => {
  it('are the same in the Python glue as in TypeScript', () => {
    const python = pythonNames();
    assert.ok(Object.keys(python).length > 0, `no names read from ${PYTHON_NAMES}`);
    for (const [name, value] of Object.entries(python)) {
      assert.ok(name in names, `${name} is in names.py but not in server/names.ts`);
      assert.deepEqual(value, names[name as keyof typeof names], `${name} differs between names.py and names.ts`);
    }
  });

  it('include the secret header, the ready line, the launcher lines and the kernel names', () => {
    assert.deepEqual(Object.keys(pythonNames()).sort(), [
      'COMPANION_READY',
      'KERNEL_NAMES',
      'KERNEL_STARTED',
      'LAUNCHER_PREFIX',
      'SECRET_HEADER'
    ]);
  });
});
