import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectDocker } from '../docker/engine.js';
import { LABELS, labelFilter } from '../docker/labels.js';
import { SPARE_PREFIX } from '../kernels/container.js';
import { withoutServerExtension } from '../kernels/testing/extension.js';
import { removeImagesOf } from '../testing/docker.js';
import { installArielKernels, JupyterServer } from '../testing/jupyter.js';
import { findProject } from '../project/project.js';
import { planImage } from '../dockerfile/plan.js';
import { coldBuild, removeTags } from './coldBuild.js';
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
  console.log(
    `kernel warm start, median of ${rounds} rounds (goal: ratio <= 1.2), load average ${loadavg()[0].toFixed(2)}`
  );
  line('  ariel-cpu, started by the companion server', companion.ariel, companion.local, 'local python3');
  await poolMemory(project);

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

  // Each round builds twice, a minute or so each.
  await benchEdits(server, project, Math.min(rounds, 3));
}

/**
 * The first ariel-cpu start after an edit of the project's code (no rebuild) and after an edit of
 * its requirements.txt (a rebuild), beside a cold plain `docker build` of the same notebook
 * Dockerfile and context (cold as in coldBuild.ts: a label unique to the build after FROM).
 * Each round edits both again, so every measured start is a first one.
 */
export async function benchEdits(server: JupyterServer, project: string, rounds: number): Promise<void> {
  const docker = connectDocker();
  const code: number[] = [];
  const requirements: number[] = [];
  const build: number[] = [];
  const tags: string[] = [];
  try {
    await kernelStart(server, 'ariel-cpu'); // not measured: the image exists before the first edit
    for (let round = 0; round < rounds; round++) {
      writeFileSync(join(project, 'train.py'), `ROUND = ${round}\n`);
      code.push(await kernelStart(server, 'ariel-cpu'));
      // A small package the index has; the comment makes each round's file new.
      writeFileSync(join(project, 'requirements.txt'), `six\nidna  # bench round ${round}\n`);
      requirements.push(await kernelStart(server, 'ariel-cpu'));
      const tag = `ariel-bench/edit-build:${process.pid}-${round}`;
      tags.push(tag);
      const plan = planImage(findProject(project), { mode: 'notebook', accelerator: 'cpu' });
      build.push((await coldBuild(docker, plan, tag)).ms);
    }
  } finally {
    await removeTags(docker, tags);
  }
  console.log(
    `first ariel-cpu start after an edit, median of ${rounds} rounds, load average ${loadavg()[0].toFixed(2)}`
  );
  line('  after a code edit (no rebuild)', median(code), median(build), 'cold docker build');
  line('  after a requirements.txt edit (rebuild)', median(requirements), median(build), 'cold docker build');
}

/** The memory the warm pool's spare containers of `project` hold while they wait. */
async function poolMemory(project: string): Promise<void> {
  const docker = connectDocker();
  const spares = () =>
    docker.listContainers({ filters: { label: [labelFilter(LABELS.project, project)], name: [`^/?${SPARE_PREFIX}`] } });
  const pause = () => new Promise(resolve => setTimeout(resolve, 2000));
  for (let tries = 0; (await spares()).length === 0; tries++) {
    if (tries === 30) {
      throw new Error('No spare kernel container appeared within a minute.');
    }
    await pause();
  }
  // Measured until it stops growing (by under 1 MiB in 2 s): ipykernel is imported then.
  let bytes = 0;
  for (let previous = -Infinity, tries = 0; bytes - previous >= 2 ** 20 && tries < 15; tries++) {
    previous = bytes;
    await pause();
    const stats = await Promise.all(
      (await spares()).map(spare => docker.getContainer(spare.Id).stats({ stream: false }))
    );
    bytes = stats.reduce(
      (sum, stat) => sum + stat.memory_stats.usage - (stat.memory_stats.stats?.inactive_file ?? 0),
      0
    );
  }
  console.log(`  idle warm pool: ${(bytes / 2 ** 20).toFixed(0)} MiB (spare containers of the notebook image)`);
}

/**
 * A Jupyter Server with Ariel's kernelspecs on a fresh one-requirement project, as the bench uses;
 * `dispose` stops it and removes the project, its images and the kernelspecs.
 */
export async function benchJupyter(): Promise<{
  project: string;
  env: NodeJS.ProcessEnv;
  server: JupyterServer;
  dispose: () => Promise<void>;
}> {
  const project = mkdtempSync(join(tmpdir(), 'ariel-bench-'));
  const prefix = mkdtempSync(join(tmpdir(), 'ariel-bench-kernels-'));
  writeFileSync(join(project, 'requirements.txt'), 'six\n');
  writeFileSync(join(project, '.ariel.json'), '{}\n');
  const env = { JUPYTER_PATH: installArielKernels(prefix) };
  const server = new JupyterServer(project, env);
  const dispose = async () => {
    await server.stop();
    removeImagesOf(project);
    rmSync(project, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await server.start();
  } catch (error) {
    await dispose();
    throw error;
  }
  return { project, env, server, dispose };
}

/** `node dist/server/bench/kernels.js` after the bench's set-up (scripts/bench.sh): this part alone. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { project, env, server, dispose } = await benchJupyter();
  try {
    await benchKernels(server, project, env, Number(process.env.ARIEL_BENCH_ROUNDS ?? 9));
  } finally {
    await dispose();
  }
}
