/**
 * How long a kernel container may live: no longer than its launcher, and no longer than the
 * Jupyter Server (or other client) that started the launcher.
 *
 * jupyter_client closes the kernel's stdin right after starting it (launcher.py), so an end
 * of stdin says nothing about the server. The launcher watches its parent instead: when the
 * parent dies, the launcher is re-parented (its ppid changes). A launcher killed outright
 * cannot clean up; the labels below let the next kernel start find what it left.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LABELS } from '../docker/labels.js';

const LAUNCHER_PID = LABELS.launcherPid;
const LAUNCHER_HOST = LABELS.launcherHost;
const LAUNCHER_STARTED = LABELS.launcherStarted;
const LAUNCHER_UID = LABELS.launcherUid;
const SERVER_PID = LABELS.serverPid;
const SERVER_STARTED = LABELS.serverStarted;

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessIdentity {
  pid: number;
  /** Process start time (clock ticks since boot) where /proc has it, else ''. */
  started: string;
}

/** The launcher's identity, and that of the process that started it (Jupyter Server). */
export interface LauncherIdentity extends ProcessIdentity {
  host: string;
  uid: number;
  server?: ProcessIdentity;
}

export function processStartTime(pid: number): string {
  try {
    // Field 22 of /proc/PID/stat, counted after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function identify(pid: number): ProcessIdentity {
  return { pid, started: processStartTime(pid) };
}

/** Whether the process still runs (as the same process: a reused pid has another start time). */
export function isRunning(identity: ProcessIdentity): boolean {
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') {
      return false;
    }
  }
  return !identity.started || processStartTime(identity.pid) === identity.started;
}

/** The process that started this one: jupyter_client names itself in JPY_PARENT_PID. */
function startedBy(env: NodeJS.ProcessEnv): ProcessIdentity {
  const named = Number(env.JPY_PARENT_PID);
  return identify(Number.isInteger(named) && named > 1 ? named : process.ppid);
}

export function currentLauncher(env: NodeJS.ProcessEnv = process.env): LauncherIdentity {
  const uid = process.getuid?.() ?? -1;
  return { ...identify(process.pid), host: hostname(), uid, server: startedBy(env) };
}

export function launcherLabels(launcher: LauncherIdentity): Record<string, string> {
  return {
    [LAUNCHER_PID]: String(launcher.pid),
    [LAUNCHER_HOST]: launcher.host,
    [LAUNCHER_STARTED]: launcher.started,
    [LAUNCHER_UID]: String(launcher.uid),
    ...(launcher.server ? { [SERVER_PID]: String(launcher.server.pid), [SERVER_STARTED]: launcher.server.started } : {})
  };
}

export interface Here {
  host: string;
  uid: number;
  isRunning(identity: ProcessIdentity): boolean;
}

const HERE: Here = { host: hostname(), uid: process.getuid?.() ?? -1, isRunning };

/**
 * A kernel container left behind: started on this host by this user, and its launcher or the
 * server that started the launcher is gone. Containers of other hosts sharing the engine, of
 * other users, and of live launchers under live servers are never orphans.
 */
export function isOrphanKernel(labels: Record<string, string>, here: Here = HERE): boolean {
  if (labels[LAUNCHER_HOST] !== here.host || labels[LAUNCHER_UID] !== String(here.uid)) {
    return false;
  }
  const launcher = { pid: Number(labels[LAUNCHER_PID]), started: labels[LAUNCHER_STARTED] ?? '' };
  const server = labels[SERVER_PID] && { pid: Number(labels[SERVER_PID]), started: labels[SERVER_STARTED] ?? '' };
  return !here.isRunning(launcher) || (!!server && !here.isRunning(server));
}

/**
 * Calls `onGone` once when the process that started this one has exited: this process is
 * re-parented, the named JPY_PARENT_PID is gone, or its stdout or stderr (pipes to the
 * parent) break. Returns a function that stops watching.
 */
export function watchParent(onGone: () => void, intervalMs = 500, env: NodeJS.ProcessEnv = process.env): () => void {
  const parent = process.ppid;
  const server = startedBy(env);
  let watching = true;
  const gone = () => {
    if (watching) {
      stop();
      onGone();
    }
  };
  const timer = setInterval(() => {
    if (process.ppid !== parent || !isRunning(server)) {
      gone();
    }
  }, intervalMs);
  timer.unref();
  // Unhandled, an EPIPE on a dead parent's pipe would end the process before it cleans up.
  process.stdout.on('error', gone);
  process.stderr.on('error', gone);
  function stop(): void {
    watching = false;
    clearInterval(timer);
  }
  return stop;
}
