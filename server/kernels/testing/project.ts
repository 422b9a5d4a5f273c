import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installArielKernels, JupyterServer } from '../../testing/jupyter.js';

/**
 * A project for kernel tests (one requirement, a config naming ARIEL_TEST_SECRET, a notebooks/
 * folder) and a folder for Ariel's kernelspecs; `startServer` starts Jupyter Server on the
 * project with those kernelspecs and the secret set to "from-the-host".
 */
export function kernelTestProject(name: string): {
  root: string;
  prefix: string;
  startServer(): Promise<JupyterServer>;
} {
  const root = mkdtempSync(join(tmpdir(), `${name}-`));
  const prefix = mkdtempSync(join(tmpdir(), 'ariel-kernelspecs-'));
  writeFileSync(join(root, 'requirements.txt'), 'six\n');
  writeFileSync(join(root, '.ariel.json'), JSON.stringify({ env: ['ARIEL_TEST_SECRET'] }));
  mkdirSync(join(root, 'notebooks'));
  const startServer = async () => {
    const server = new JupyterServer(root, {
      JUPYTER_PATH: installArielKernels(prefix),
      ARIEL_TEST_SECRET: 'from-the-host'
    });
    await server.start();
    return server;
  };
  return { root, prefix, startServer };
}
