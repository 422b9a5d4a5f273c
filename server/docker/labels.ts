/**
 * The labels Ariel puts on the containers it starts and the images it builds: the one place
 * their names are spelled, so that listing, pruning and orphan sweeps find what was made.
 */
export const LABELS = {
  /** On every container Ariel starts: what it is for (see Role). */
  role: 'org.ariel.role',
  /** The project root (absolute host path) of a container or an image. */
  project: 'org.ariel.project',
  /** An image's mode (shell, notebook, run, cloud). */
  mode: 'org.ariel.mode',
  /** An image's accelerator (cpu, gpu). */
  accelerator: 'org.ariel.accelerator',
  /** Extras asked for besides the config's, comma-separated; needed to tell whether an image is current. */
  extras: 'org.ariel.extras',
  /** A run container's 1-based job number. */
  job: 'org.ariel.job',
  /** A replica's host name on its distributed job's network (`workerpool0-0` is the primary). */
  replica: 'org.ariel.replica',
  /** A run container's job group in the job history. */
  group: 'org.ariel.group',
  /** A run container's job in the job history: its request id, unique to that job. */
  request: 'org.ariel.request',
  /** A kernel container's launcher: pid, host, start time and uid, so orphans can be told from live kernels. */
  launcherPid: 'org.ariel.launcher.pid',
  launcherHost: 'org.ariel.launcher.host',
  launcherStarted: 'org.ariel.launcher.started',
  launcherUid: 'org.ariel.launcher.uid',
  /** The Jupyter Server (or other client) that started a kernel's launcher: pid and start time. */
  serverPid: 'org.ariel.server.pid',
  serverStarted: 'org.ariel.server.started',
  /**
   * The companion server that started a kernel (or spare): pid and start time. Its launcher
   * labels then name the Jupyter Server, the process whose end ends the kernel; the next
   * companion of that server adopts the kernels of a dead one.
   */
  companionPid: 'org.ariel.companion.pid',
  companionStarted: 'org.ariel.companion.started'
} as const;

/** What a container Ariel started is for. */
export type Role = 'run' | 'shell' | 'kernel' | 'gpu-probe';
export const ROLES: readonly Role[] = ['run', 'shell', 'kernel', 'gpu-probe'];

/** An engine `label` filter value: `name` alone matches any value. */
export function labelFilter(name: string, value?: string): string {
  return value === undefined ? name : `${name}=${value}`;
}
