import { realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { constants } from 'node:os';
import { ArielError } from '../errors.js';
import {
  adoptableKernels,
  currentLauncher,
  defaultKernelNetwork,
  removeOrphanKernels,
  type KernelHandle
} from '../kernels/container.js';
import { KernelPool, poolLimits } from '../kernels/pool.js';
import { relativeTo } from '../paths.js';
import type { Accelerator } from '../project/config.js';
import { findProject } from '../project/project.js';
import type { Build, BuildRegistry } from './builds.js';
import type { AppDeps } from './deps.js';
import { describeEvent } from './events.js';
import { prepareImage, resolveImage } from './images.js';
import { adoptKernelContainer, startKernelContainer } from './kernel.js';

/** A kernel start as the companion's route hands it over; `connectionFile` and `env` are checked by `start`. */
export interface KernelStart {
  accelerator: Accelerator;
  /** The notebook's folder, inside Jupyter's root. */
  cwd: string;
  connectionFile: unknown;
  env: unknown;
}

/**
 * Kernels the companion server starts for Jupyter's kernel provisioner
 * (jupyterlab_ariel/provisioner.py) through the routes of server/http/kernels.ts, so no launcher
 * process runs per kernel:
 *   POST   /kernels             {path, accelerator, connectionFile, env} -> 201 {kernel: {id, image}}
 *                                (the id is the container's, so it outlives this process)
 *   GET    /kernels/:id         -> {kernel: {id, image, exitCode}}; exitCode is null while it runs
 *   POST   /kernels/:id/signal  {signal: "SIGINT"}
 *   DELETE /kernels/:id         removes the container (also when it has exited)
 * A start that fails answers with the error and `explanation`, the lines Jupyter shows.
 * The containers are labelled as this process's and its Jupyter Server's. When this process dies
 * (killed, crashed) while Jupyter runs, its kernels run on and the companion Jupyter starts next
 * adopts them under the same ids; its spares are removed as orphans. When it stops, `close`
 * removes them all; what is left of a Jupyter Server that is gone, the next kernel start removes.
 * Only Ariel's provisioner reaches these routes (Jupyter's proxy never forwards them): the
 * connection file must be a `kernel-*.json` file in Jupyter's runtime folder, and `env` gives only
 * the values of the variables the project config's `env` list names; image builds and the
 * container's settings come from the companion's own environment.
 */
export class KernelRegistry {
  private readonly kernels = new Map<string, { handle: KernelHandle; exitCode: number | null }>();
  private closed = false;
  /** Spare containers, so that a kernel start is a hand-over rather than a container and Python start. */
  readonly pool: KernelPool;
  /** Settles once the kernels of this Jupyter Server's previous companion are taken over. */
  readonly adopted: Promise<void>;

  constructor(private readonly deps: { app: AppDeps; root: string; runtimeDir: string; builds: BuildRegistry }) {
    this.pool = new KernelPool(deps.app.docker, poolLimits(deps.app.env ?? process.env), process.stderr);
    this.adopted = this.adopt();
    // What a companion killed before left that holds no state (its spares), or what a Jupyter
    // Server that is gone left, goes at once, not at the next kernel start. Best effort: an
    // engine that does not answer is reported then.
    removeOrphanKernels(deps.app.docker).catch(() => undefined);
  }

  /**
   * Takes over the running kernels of the companion that ran before this one under the same
   * Jupyter Server: the provisioner asks about them by the same ids. Best effort: a kernel that
   * cannot be taken over is unknown here, which the provisioner reports as its end.
   */
  private async adopt(): Promise<void> {
    const { docker } = this.deps.app;
    const ids = await adoptableKernels(docker, launcherHere()).catch(() => []);
    await Promise.all(
      ids.map(async id => {
        try {
          this.track(await adoptKernelContainer(docker, id, { stdout: process.stderr, stderr: process.stderr }));
          process.stderr.write(`[Ariel] Took over kernel container ${id.slice(0, 12)} from the previous companion.\n`);
        } catch (error) {
          process.stderr.write(`[Ariel] Could not take over kernel container ${id.slice(0, 12)}: ${String(error)}\n`);
        }
      })
    );
  }

  private track(handle: KernelHandle): void {
    const entry = { handle, exitCode: null as number | null };
    this.kernels.set(handle.id, entry);
    void handle.exited.then(
      code => (entry.exitCode = code),
      () => (entry.exitCode = -1)
    );
  }

  /**
   * Starts a kernel for a notebook in `cwd` (a folder inside Jupyter's root, resolved by the
   * caller); the connection file and the environment are checked here.
   */
  async start(request: KernelStart): Promise<{ id: string; image: string }> {
    const { accelerator, cwd, env } = request;
    const connectionFile = checkedConnectionFile(this.deps.runtimeDir, request.connectionFile);
    if (typeof env !== 'object' || env === null || Object.values(env).some(value => typeof value !== 'string')) {
      throw new ArielError('usage', '"env" must be an object of strings: the kernel\'s environment.', USAGE);
    }
    const project = findProject(cwd);
    const app = {
      ...this.deps.app,
      env: kernelEnv(this.deps.app.env ?? process.env, project.config.env, env as Record<string, string>)
    };
    // Built with the companion's own settings: a request cannot point pip at another index.
    const image = await this.prepare(this.deps.app, project, accelerator);
    const launcher = launcherHere();
    // The pool needs the kernel's ports known only at hand-over: host networking.
    const pooled = (project.config.kernel.network ?? defaultKernelNetwork()) === 'host';
    const spec = { project, image, launcher, env: app.env };
    // A spare start sweeps orphans as a fresh one does (startKernelContainer), before it answers.
    const [taken] = pooled
      ? await Promise.all([this.pool.take(spec, connectionFile, cwd), removeOrphanKernels(app.docker).catch(() => [])])
      : [undefined];
    const handle =
      taken ??
      (await startKernelContainer(
        app,
        { project, accelerator, connectionFile, cwd, launcher, image },
        // The kernel's own output goes to Jupyter's log, as a launcher's does.
        { stdout: process.stderr, stderr: process.stderr }
      ));
    if (pooled) {
      this.pool.fill(spec);
    }
    if (this.closed) {
      await handle.remove();
      throw new ArielError('cancelled', 'The companion server is stopping.', 'Start the kernel again.');
    }
    this.track(handle);
    return { id: handle.id, image: handle.image.name };
  }

  /**
   * The image through the build registry, so that a build shows in the sidebar with its log and
   * is shared with the sidebar's build of the same image.
   */
  private async prepare(app: AppDeps, project: ReturnType<typeof findProject>, accelerator: 'cpu' | 'gpu') {
    const request = { project, mode: 'notebook' as const, accelerator, willRun: true };
    // Hashed once: the name the build is registered under and the build's check share it.
    const resolved = await resolveImage(app, request);
    const { image } = resolved;
    const build = this.deps.builds.start(image, relativeTo(this.deps.root, project.root), progress =>
      prepareImage(app, request, {
        ...progress,
        resolved,
        // Also in Jupyter's log, as a launcher's build is.
        onEvent: event => {
          progress.onEvent(event);
          const text = describeEvent(event);
          if (text !== undefined) {
            process.stderr.write(`${text}\n`);
          }
        }
      })
    );
    const outcome = await settled(this.deps.builds, build.id);
    if (outcome.state !== 'succeeded') {
      const error = outcome.error ?? {
        code: 'build-failed',
        message: `The build of ${outcome.image} ${outcome.state}.`
      };
      throw error.code === 'internal'
        ? new Error(error.message)
        : new ArielError(error.code, error.message, error.hint);
    }
    return image;
  }

  state(id: string): { id: string; image: string; exitCode: number | null } {
    const { handle, exitCode } = this.entry(id);
    return { id, image: handle.image.name, exitCode };
  }

  async signal(id: string, signal: unknown): Promise<void> {
    if (typeof signal !== 'string' || !(signal in constants.signals)) {
      throw new ArielError(
        'usage',
        `"signal" must be a signal name such as "SIGINT", not ${JSON.stringify(signal)}.`,
        USAGE
      );
    }
    await this.entry(id).handle.kill(signal);
  }

  async remove(id: string): Promise<void> {
    const entry = this.kernels.get(id);
    this.kernels.delete(id);
    await entry?.handle.remove();
  }

  /**
   * Removes every kernel container started here, and what a companion killed before left behind
   * (e.g. a spare it was creating when it died); later starts are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.adopted;
    await Promise.all([
      this.pool.close(),
      ...[...this.kernels.keys()].map(id => this.remove(id)),
      removeOrphanKernels(this.deps.app.docker).catch(() => undefined)
    ]);
  }

  private entry(id: string) {
    const entry = this.kernels.get(id);
    if (!entry) {
      throw new ArielError('not-found', `No kernel ${id} was started here.`, 'Start the kernel again.');
    }
    return entry;
  }
}

const USAGE = 'See "How kernels start" in Ariel\'s README.';

/** The pattern of the connection files Jupyter writes: `kernel-<id>.json`. */
const CONNECTION_FILE = /^kernel-[^/]+\.json$/;

/**
 * The real path of a kernel's connection file, which must be a regular file named `kernel-*.json`
 * directly in Jupyter's runtime folder (links resolved): it is mounted into the container, so
 * any other path would hand a host file (or the Docker socket) to the kernel.
 */
export function checkedConnectionFile(runtimeDir: string, given: unknown): string {
  const hint = `Give the connection file Jupyter wrote for the kernel, a kernel-*.json file in ${runtimeDir}.`;
  if (typeof given !== 'string' || !given) {
    throw new ArielError('usage', '"connectionFile" must be the path of the kernel\'s connection file.', hint);
  }
  let real: string;
  try {
    real = realpathSync(given);
  } catch {
    throw new ArielError('usage', `The connection file ${JSON.stringify(given)} does not exist.`, hint);
  }
  if (dirname(real) !== realpathSync(runtimeDir) || !CONNECTION_FILE.test(basename(real))) {
    throw new ArielError(
      'usage',
      `The connection file ${JSON.stringify(given)} is not a kernel-*.json file in Jupyter's runtime folder.`,
      hint
    );
  }
  if (!statSync(real).isFile()) {
    throw new ArielError('usage', `The connection file ${JSON.stringify(given)} is not a regular file.`, hint);
  }
  return real;
}

/**
 * The environment a kernel container is created from: the companion's own, with the values the
 * request gives for the variables the project config's `env` list names (Jupyter's kernel
 * environment). Ariel's own settings (`ARIEL_*`) are never taken from a request.
 */
export function kernelEnv(
  own: NodeJS.ProcessEnv,
  named: readonly string[],
  requested: Record<string, string>
): NodeJS.ProcessEnv {
  const env = { ...own };
  for (const name of named) {
    if (!name.startsWith('ARIEL_') && Object.hasOwn(requested, name)) {
      env[name] = requested[name];
    }
  }
  return env;
}

/** The owner of the kernels started here: this process, a companion under Jupyter Server (its parent). */
function launcherHere() {
  return { ...currentLauncher({}), companion: true };
}

/** Resolves with the build's final state. */
function settled(builds: BuildRegistry, id: string): Promise<Build> {
  return new Promise(resolve => {
    const { replay } = builds.subscribe(id, message => {
      if (message.type === 'state' && message.build.state !== 'running') {
        resolve(message.build);
      }
    });
    const last = replay.at(-1);
    if (last?.type === 'state' && last.build.state !== 'running') {
      resolve(last.build);
    }
  });
}
