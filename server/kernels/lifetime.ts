/**
 * How long a kernel container may live: no longer than its launcher, and no longer than the
 * Jupyter Server (or other client) that started the launcher.
 *
 * jupyter_client closes the kernel's stdin right after starting it (launcher.py), so an end
 * of stdin says nothing about the server. The launcher watches its parent instead: when the
 * parent dies, the launcher is re-parented (its ppid changes). A launcher killed outright
 * cannot clean up; the labels below let the next kernel start find what it left.
 *
 * A companion server starts many kernels, and Jupyter Server restarts it when it dies. Its
 * kernels outlive it: their launcher labels name Jupyter Server itself (so that no sweep, not
 * even an older Ariel's, takes them while Jupyter runs), the companion labels name the
 * companion, and the next companion of the same Jupyter Server adopts them (`isAdoptable`), so
 * a companion crash loses no kernel's state. Only its spares, which hold no state, are orphans
 * once it is gone.
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
const COMPANION_PID = LABELS.companionPid;
const COMPANION_STARTED = LABELS.companionStarted;

/** The name prefix of spare kernel containers, until one is handed out (and renamed after its kernel). */
export const SPARE_PREFIX = 'ariel-spare-';

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
  /** A companion server: its kernels live as long as its server, and the server's next companion adopts them. */
  companion?: boolean;
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
  const { server } = launcher;
  // A companion's kernels end with Jupyter Server, not with the companion: it is their launcher.
  const owner = launcher.companion && server ? server : launcher;
  return {
    [LAUNCHER_PID]: String(owner.pid),
    [LAUNCHER_HOST]: launcher.host,
    [LAUNCHER_STARTED]: owner.started,
    [LAUNCHER_UID]: String(launcher.uid),
    ...(server ? { [SERVER_PID]: String(server.pid), [SERVER_STARTED]: server.started } : {}),
    ...(launcher.companion ? { [COMPANION_PID]: String(launcher.pid), [COMPANION_STARTED]: launcher.started } : {})
  };
}

export interface Here {
  host: string;
  uid: number;
  isRunning(identity: ProcessIdentity): boolean;
}

const HERE: Here = { host: hostname(), uid: process.getuid?.() ?? -1, isRunning };

/** A kernel container as the engine lists it: its labels, and its name (with or without the leading slash). */
export interface KernelContainerSummary {
  labels: Record<string, string>;
  name: string;
}

function isSpare(name: string): boolean {
  return name.replace(/^\//, '').startsWith(SPARE_PREFIX);
}

function launcherOf(labels: Record<string, string>): ProcessIdentity {
  return { pid: Number(labels[LAUNCHER_PID]), started: labels[LAUNCHER_STARTED] ?? '' };
}

function serverOf(labels: Record<string, string>): ProcessIdentity | undefined {
  return labels[SERVER_PID] ? { pid: Number(labels[SERVER_PID]), started: labels[SERVER_STARTED] ?? '' } : undefined;
}

function isMine(labels: Record<string, string>, here: Here): boolean {
  return labels[LAUNCHER_HOST] === here.host && labels[LAUNCHER_UID] === String(here.uid);
}

function companionOf(labels: Record<string, string>): ProcessIdentity | undefined {
  return labels[COMPANION_PID]
    ? { pid: Number(labels[COMPANION_PID]), started: labels[COMPANION_STARTED] ?? '' }
    : undefined;
}

/**
 * A kernel (not a spare) that a companion server started, whose companion is gone while its
 * Jupyter Server still runs: it waits for that server's next companion to adopt it.
 */
function awaitsAdoption(kernel: KernelContainerSummary, here: Here): boolean {
  const server = serverOf(kernel.labels);
  const companion = companionOf(kernel.labels);
  return !!companion && !isSpare(kernel.name) && !!server && here.isRunning(server) && !here.isRunning(companion);
}

/**
 * A kernel container left behind: started on this host by this user, and its launcher or the
 * server that started the launcher is gone. Containers of other hosts sharing the engine, of
 * other users, and of live launchers under live servers are never orphans. A companion's
 * kernels are launched by its Jupyter Server (see `launcherLabels`): they outlive the companion
 * for the server's next companion to adopt, but its spares go with it.
 */
export function isOrphanKernel(kernel: KernelContainerSummary, here: Here = HERE): boolean {
  const { labels } = kernel;
  if (!isMine(labels, here)) {
    return false;
  }
  const server = serverOf(labels);
  const companion = companionOf(labels);
  return (
    !here.isRunning(launcherOf(labels)) ||
    (!!server && !here.isRunning(server)) ||
    (!!companion && isSpare(kernel.name) && !here.isRunning(companion))
  );
}

/**
 * A kernel container the companion server `launcher` takes over: started on this host by this
 * user by an earlier companion of the same Jupyter Server (same pid and start time), which is gone.
 */
export function isAdoptable(kernel: KernelContainerSummary, launcher: LauncherIdentity, here: Here = HERE): boolean {
  const server = serverOf(kernel.labels);
  return (
    isMine(kernel.labels, here) &&
    !!launcher.server &&
    !!server &&
    server.pid === launcher.server.pid &&
    server.started === launcher.server.started &&
    awaitsAdoption(kernel, here)
  );
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
