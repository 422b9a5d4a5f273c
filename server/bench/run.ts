/**
 * `npm run bench`: figures as ratios against baselines measured in the same run,
 * so that a shared, noisy machine changes both sides alike.
 *  - container kernels (kernels.ts): warm start of ariel-cpu vs the stock local python3 kernel,
 *    from the start request to the first kernel_info reply, with and without the server
 *    extension; ten kernels at once;
 *  - `ariel build` of an unchanged image vs starting Node itself;
 *  - the companion server: idle resident memory, warm project summary and Dockerfile requests
 *    vs Jupyter's own /api/status;
 *  - a cold run-mode build of the bundled example vs a hand-written single-stage Dockerfile;
 *  - JupyterLab's page load in Chromium with Ariel vs without it;
 *  - `ariel run --replicas 1` to both ranks running vs two plain `docker run`s (replicas.ts).
 * `npm run bench -- replicas` runs the last alone.
 */
import { execFileSync } from 'node:child_process';
import { connectDocker } from '../docker/engine.js';
import { ARIEL_BIN as ARIEL } from '../testing/cli.js';
import { cloudBench } from './cloud.js';
import { benchColdBuild } from './coldBuild.js';
import { benchCompanion } from './companion.js';
import { benchJupyter, benchKernels } from './kernels.js';
import { line, median } from './figures.js';
import { benchPageLoad } from './pageLoad.js';
import { benchReplicas } from './replicas.js';

const ROUNDS = Number(process.env.ARIEL_BENCH_ROUNDS ?? 9);
/** Cold builds take a minute or more each. */
const COLD_ROUNDS = Number(process.env.ARIEL_BENCH_COLD_ROUNDS ?? 3);

function timeCommand(argv: string[], cwd: string): number {
  const started = performance.now();
  execFileSync(argv[0], argv.slice(1), { cwd, stdio: 'ignore' });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const { project, env: kernelEnv, server, dispose } = await benchJupyter();
  try {
    await benchKernels(server, project, kernelEnv, ROUNDS);

    execFileSync(process.execPath, [ARIEL, 'build', '--mode', 'run'], { cwd: project, stdio: 'ignore' });
    const build: number[] = [];
    const node: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      node.push(timeCommand([process.execPath, '-e', '0'], project));
      build.push(timeCommand([process.execPath, ARIEL, 'build', '--mode', 'run'], project));
    }
    console.log(`unchanged image, median of ${ROUNDS} rounds`);
    line('  ariel build', median(build), median(node), 'node -e 0');

    await benchCompanion(project, server, ROUNDS);
    await benchColdBuild(connectDocker(), COLD_ROUNDS);
  } catch (error) {
    console.error(`benchmark failed: ${(error as Error).message}\nJupyter Server log:\n${server.log.slice(-4000)}`);
    process.exitCode = 1;
  } finally {
    await dispose();
  }
}

if (process.argv[2] !== 'replicas') {
  await main();
  await cloudBench(ROUNDS);
  await benchPageLoad(ROUNDS);
}
await benchReplicas(ROUNDS);
