import { readFileSync } from 'node:fs';
import { Companion } from '../testing/companion.js';
import type { JupyterServer } from '../testing/jupyter.js';
import { median, timed } from './figures.js';

/** Resident memory of a process in MB, from /proc. */
function residentMb(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/**
 * The companion server on `project` (as Jupyter's root): its resident memory when idle, and the
 * warm latency of the project summary and Dockerfile requests against Jupyter's own /api/status.
 */
export async function benchCompanion(project: string, jupyter: JupyterServer, rounds: number): Promise<void> {
  const companion = new Companion(project);
  await companion.start();
  try {
    const pid = companion.child!.pid!;
    const startedMb = residentMb(pid);
    const requests = {
      status: () => jupyter.request('GET', '/api/status'),
      summary: () => companion.request('GET', '/project?path='),
      dockerfile: () => companion.request('GET', '/dockerfile?path=&mode=notebook&accelerator=cpu')
    };
    const times: Record<keyof typeof requests, number[]> = { status: [], summary: [], dockerfile: [] };
    // Warm-up, not measured: loads the config validator, reads the project's files once.
    for (const request of Object.values(requests)) {
      await request();
    }
    for (let round = 0; round < rounds * 3; round++) {
      for (const [name, request] of Object.entries(requests)) {
        times[name as keyof typeof requests].push(await timed(request));
      }
    }
    // Idle: nothing asked for a while, after the requests above.
    await new Promise(resolve => setTimeout(resolve, 2000));
    const idleMb = residentMb(pid);

    const status = median(times.status);
    const figure = (label: string, values: number[]) =>
      console.log(
        `  ${label}: ${median(values).toFixed(1)} ms vs Jupyter's /api/status ${status.toFixed(1)} ms, ratio ${(median(values) / status).toFixed(2)}`
      );
    console.log(`companion server, median of ${rounds * 3} warm requests`);
    figure('GET /project', times.summary);
    figure('GET /dockerfile', times.dockerfile);
    console.log(
      `  resident memory when idle: ${idleMb.toFixed(0)} MB after requests, ${startedMb.toFixed(0)} MB after start (goal: under 80 MB)`
    );
  } finally {
    await companion.stop();
  }
}
