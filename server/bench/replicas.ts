/**
 * The local rehearsal's overhead: from `ariel run --replicas 1` to both ranks running (each has
 * printed a line), against two plain `docker run`s of the same image started at once, measured
 * in the same rounds. Ariel's side includes checking the image, recording the job, the private
 * network and the replicas' environments.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARIEL_BIN as ARIEL } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { line, median } from './figures.js';

/** Says it runs, then stays a moment so the other rank is still there when it starts. */
const RANK = 'import os, time\nprint("running", os.environ.get("RANK", "?"), flush=True)\ntime.sleep(2)\n';

/** Starts a command and resolves to the ms until its output has `count` lines saying "running", then to its end. */
function timeToRunning(argv: string[], cwd: string, env: NodeJS.ProcessEnv, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let runningAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (runningAt === undefined && (output.match(/running/g) ?? []).length >= count) {
        runningAt = performance.now() - started;
      }
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', code =>
      runningAt !== undefined && code === 0
        ? resolve(runningAt)
        : reject(new Error(`${argv.join(' ')} ended with ${code}: ${output.slice(-2000)}`))
    );
  });
}

/** Two `docker run`s at once; resolves to the ms until both have said they run. */
async function twoDockerRuns(image: string, cwd: string): Promise<number> {
  const started = performance.now();
  const one = () =>
    timeToRunning(['docker', 'run', '--rm', image, 'python', 'rank.py'], cwd, process.env, 1).then(
      () => performance.now() - started
    );
  const times = await Promise.all([one(), one()]);
  return Math.max(...times);
}

export async function benchReplicas(rounds: number): Promise<void> {
  const project = tempProject({ '.ariel.json': '{}\n', 'rank.py': RANK }, 'bench-replicas');
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-bench-data-'));
  const env = { ...process.env, ARIEL_DATA_DIR: dataDir };
  try {
    const image = execFileSync(process.execPath, [ARIEL, 'build', '--mode', 'run'], {
      cwd: project,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    })
      .trim()
      .split('\n')
      .pop()!;
    const ariel: number[] = [];
    const plain: number[] = [];
    for (let round = 0; round < rounds; round++) {
      plain.push(await twoDockerRuns(image, project));
      ariel.push(await timeToRunning([process.execPath, ARIEL, 'run', 'rank.py', '--replicas', '1'], project, env, 2));
    }
    console.log(`distributed rehearsal, median of ${rounds} rounds`);
    line('  ariel run --replicas 1 to both ranks running', median(ariel), median(plain), 'two docker runs');
  } finally {
    removeImagesOf(project);
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
