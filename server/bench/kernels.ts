import { withoutServerExtension } from '../kernels/testing/extension.js';
import { JupyterServer } from '../testing/jupyter.js';
import { line, median, timed } from './figures.js';

/** From the start request to the first kernel_info reply with iopub live; then shut down. */
async function kernelStart(server: JupyterServer, name: string): Promise<number> {
  let id = '';
  const elapsed = await timed(async () => {
    const { body } = await server.request<{ id: string }>('POST', '/api/kernels', { name });
    id = body.id;
    const client = await server.connect(id);
    await client.ready();
    client.close();
  });
  await server.request('DELETE', `/api/kernels/${id}`);
  return elapsed;
}

/** Warm starts of ariel-cpu against the stock local python3 kernel, alternating, on one server. */
async function warmStarts(server: JupyterServer, rounds: number): Promise<{ ariel: number; local: number }> {
  // Warm-up, not measured: builds the notebook image and loads both kernels once.
  await kernelStart(server, 'ariel-cpu');
  await kernelStart(server, 'python3');
  const ariel: number[] = [];
  const local: number[] = [];
  for (let round = 0; round < rounds; round++) {
    local.push(await kernelStart(server, 'python3'));
    ariel.push(await kernelStart(server, 'ariel-cpu'));
  }
  return { ariel: median(ariel), local: median(local) };
}

/**
 * Container kernels (issue 9 §3): warm start of ariel-cpu through Jupyter Server against a local
 * python3 kernel, with the server extension (the companion server starts the kernels) and
 * without it (a launcher per kernel); then ten kernels started at once.
 */
export async function benchKernels(server: JupyterServer, project: string, env: NodeJS.ProcessEnv, rounds: number) {
  const companion = await warmStarts(server, rounds);
  console.log(`kernel warm start, median of ${rounds} rounds (goal: ratio <= 1.2)`);
  line('  ariel-cpu, started by the companion server', companion.ariel, companion.local, 'local python3');

  const plain = new JupyterServer(project, { ...env, ...withoutServerExtension() });
  await plain.start();
  try {
    const launcher = await warmStarts(plain, rounds);
    line('  ariel-cpu, started by a launcher (no server extension)', launcher.ariel, launcher.local, 'local python3');
  } finally {
    await plain.stop();
  }

  const together = (name: string) =>
    timed(() => Promise.all(Array.from({ length: 10 }, () => kernelStart(server, name))));
  const local = await together('python3');
  const ariel = await together('ariel-cpu');
  console.log('ten kernels started at once, total');
  line('  ariel-cpu', ariel, local, 'local python3');
}
