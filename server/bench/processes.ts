import { readdirSync, readFileSync } from 'node:fs';

/** Linux's clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = 100;

/** CPU time (user and system, ms) of process `root` and its descendants, the ended ones included, from /proc. */
export function treeCpuMs(root: number): number {
  const processes = new Map<number, { parent: number; ms: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After "pid (comm) ": state, ppid, ...; then utime, stime, and cutime, cstime: those of its
    // children that have ended (the build checks JupyterLab runs in node, once per page load).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
    processes.set(Number(entry), { parent: Number(fields[1]), ms: (ticks * 1000) / CLOCK_TICKS });
  }
  const inTree = (pid: number): boolean => pid === root || (pid > 1 && inTree(processes.get(pid)?.parent ?? 0));
  return [...processes].reduce((sum, [pid, { ms }]) => sum + (inTree(pid) ? ms : 0), 0);
}

/**
 * Waits until the server side is idle: under 30 ms of CPU in a second (Jupyter Server, its
 * companion, and the build check JupyterLab runs after each page load). Without this, one side's
 * tail runs during the other side's page load. Gives up after 30 s (a busy machine).
 */
export async function settle(pids: number[]): Promise<void> {
  const cpu = () => pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0);
  const deadline = Date.now() + 30_000;
  let before = cpu();
  while (Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 1000));
    const now = cpu();
    if (now - before < 30) {
      return;
    }
    before = now;
  }
}
