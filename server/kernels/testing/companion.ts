import { readdirSync, readFileSync } from 'node:fs';
import { eventually } from '../../testing/eventually.js';
import type { JupyterServer } from '../../testing/jupyter.js';

/** The pid of the Jupyter Server's companion (its one Node child process), or undefined while there is none. */
export function companionOf(server: JupyterServer): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [program = '', ...args] = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const isCompanion = /(^|\/)node[^/]*$/.test(program) || args.some(arg => arg.includes('main.bundle'));
      if (Number(ppid) === server.pid && state !== 'Z' && isCompanion) {
        return Number(entry);
      }
    } catch {
      // the process has just exited
    }
  }
  return undefined;
}

/** SIGKILLs the server's companion and waits until Jupyter has started the next one; returns its pid. */
export async function killCompanion(server: JupyterServer): Promise<number> {
  const killed = await eventually(() => companionOf(server), 'the companion server to run');
  process.kill(killed, 'SIGKILL');
  // A companion killed again and again is restarted after up to 30 s (its crash back-off).
  return eventually(
    () => {
      const next = companionOf(server);
      return next !== undefined && next !== killed && next;
    },
    'Jupyter to start the next companion',
    120_000
  );
}
