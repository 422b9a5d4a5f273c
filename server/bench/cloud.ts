/**
 * Cloud figures for `npm run bench`: submitting 100 jobs to the JobService emulator (total time,
 * gRPC calls per job), and `ariel status` over 1,000 recorded jobs against `node -e 0`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History } from '../history/store.js';
import { ARIEL_BIN } from '../testing/cli.js';
import { submitJobs } from '../cloud/submit.js';
import { VertexEmulator } from '../cloud/testing/emulator.js';
import { FIXTURE_PROJECT, FIXTURE_REGION, groupFixture, jobsFixture } from '../cloud/testing/fixtures.js';
import { connectVertex, parentOf } from '../cloud/vertex.js';

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function time(argv: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  execFileSync(argv[0], argv.slice(1), { env, stdio: 'ignore' });
  return performance.now() - started;
}

export async function cloudBench(rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-bench-history-'));
  const emulator = new VertexEmulator();
  await emulator.start();
  const history = await History.open(dir);
  try {
    const api = await connectVertex(FIXTURE_REGION, { ARIEL_VERTEX_ENDPOINT: emulator.endpoint });
    const records = history.recordGroup(groupFixture('submit'), jobsFixture('submit', 100));
    const started = performance.now();
    await submitJobs(api, history, records, { parent: parentOf(FIXTURE_PROJECT, FIXTURE_REGION), concurrency: 8 });
    const elapsed = performance.now() - started;
    await api.close();
    const calls = Object.values(emulator.calls).reduce((a, b) => a + b, 0);
    console.log('cloud submission to the JobService emulator, concurrency 8');
    console.log(`  100 jobs: ${elapsed.toFixed(0)} ms, ${(calls / 100).toFixed(2)} gRPC calls per job`);

    for (let g = 0; g < 9; g++) {
      const finished = history.recordGroup(groupFixture(`done-${g}`), jobsFixture(`done-${g}`, 100));
      history.updateMany(
        finished.map(job => ({ id: job.id, state: 'JOB_STATE_SUCCEEDED', remoteName: `x/${job.id}` }))
      );
    }
    // The 100 submitted jobs are finished too, so status reads 1,000 jobs and asks Vertex AI nothing.
    history.updateMany(history.jobs({ group: 'submit' }).map(job => ({ id: job.id, state: 'JOB_STATE_SUCCEEDED' })));
    const env = { ...process.env, ARIEL_DATA_DIR: dir, ARIEL_VERTEX_ENDPOINT: emulator.endpoint };
    const status: number[] = [];
    const node: number[] = [];
    for (let round = 0; round < rounds; round++) {
      node.push(time([process.execPath, '-e', '0'], env));
      status.push(time([process.execPath, ARIEL_BIN, 'status', '--json'], env));
    }
    console.log(`ariel status of 1,000 recorded jobs, median of ${rounds} rounds (goal: under 0.3 s)`);
    console.log(
      `  ariel status: ${median(status).toFixed(0)} ms vs node -e 0 ${median(node).toFixed(0)} ms, ratio ${(median(status) / median(node)).toFixed(2)}`
    );
  } finally {
    history.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
