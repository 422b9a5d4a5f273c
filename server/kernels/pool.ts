import type { Duplex, Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { ImageRef } from '../docker/imageRef.js';
import type { Project } from '../project/project.js';
import {
  handedOutName,
  spareKernelContainer,
  spareRequest,
  type KernelHandle,
  type LauncherIdentity
} from './container.js';

/**
 * The warm pool: for each recently used notebook image, spare kernel containers whose Python has
 * already imported ipykernel. A kernel start whose container would be created exactly like a
 * spare (same image, environment values, user, mounts, GPUs, owner) takes the spare and hands it
 * its connection file; a replacement starts in the background. Spares carry the same ownership
 * labels as kernels, so the orphan sweep removes them when their owner dies.
 */

/** What a kernel container is made of; two starts with equal create options may share spares. */
export interface SpareSpec {
  project: Project;
  image: ImageRef;
  launcher: LauncherIdentity;
  env?: NodeJS.ProcessEnv;
}

export interface PoolLimits {
  /** Spares kept per image key; 0 turns the pool off. */
  perImage: number;
  /** How many image keys keep spares; the least recently used one goes first. */
  images: number;
}

/** ARIEL_KERNEL_POOL (spares per image, default 1, 0 = off) and ARIEL_KERNEL_POOL_IMAGES (default 3). */
export function poolLimits(env: NodeJS.ProcessEnv): PoolLimits {
  const count = (value: string | undefined, fallback: number) => {
    const parsed = Number(value);
    return value !== undefined && value !== '' && Number.isInteger(parsed) && parsed >= 0 ? parsed : fallback;
  };
  return { perImage: count(env.ARIEL_KERNEL_POOL, 1), images: count(env.ARIEL_KERNEL_POOL_IMAGES, 3) };
}

interface Spare {
  container: Docker.Container;
  stream: Duplex;
  exited: Promise<number>;
}

interface Entry {
  /** Project root and accelerator: a new image for the same slot replaces the old one's spares. */
  slot: string;
  spares: Spare[];
  /** Spares being started. */
  starting: number;
}

export class KernelPool {
  /** By key (the spare's create options without its name), least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** Spare starts under way, awaited by `close` so that none is created after it and left behind. */
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly docker: Docker,
    private readonly limits: PoolLimits,
    /** Where the spares' (then kernels') output goes. */
    private readonly output: Writable
  ) {}

  /**
   * A spare made like `spec`, turned into the kernel of `connectionFile` in `cwd`; undefined when
   * there is none (the caller starts a fresh container).
   */
  async take(spec: SpareSpec, connectionFile: string, cwd: string): Promise<KernelHandle | undefined> {
    const { key } = keyOf(spec);
    const spare = this.entries.get(key)?.spares.shift();
    if (!spare) {
      return undefined;
    }
    const remove = () => spare.container.remove({ force: true }).catch(() => undefined);
    try {
      await spare.container.rename({ name: handedOutName(connectionFile) });
      await new Promise<void>((resolve, reject) =>
        spare.stream.write(spareRequest(spec.project, connectionFile, cwd), error =>
          error ? reject(error) : resolve()
        )
      );
      // The kernel reads nothing more from stdin, as a fresh one (whose stdin is closed).
      spare.stream.end();
    } catch {
      await remove();
      return undefined;
    }
    return {
      id: spare.container.id,
      image: spec.image,
      exited: spare.exited,
      kill: signal => spare.container.kill({ signal }).catch(() => undefined),
      remove
    };
  }

  /**
   * Starts spares for `spec` in the background up to the limit; drops the spares of an older image
   * (or other environment values) for the same project and accelerator, and of the least recently
   * used images beyond the limit.
   */
  fill(spec: SpareSpec): void {
    if (this.closed || this.limits.perImage === 0) {
      return;
    }
    const { key, create } = keyOf(spec);
    const slot = `${spec.project.root}\n${spec.image.accelerator}`;
    const entry = this.entries.get(key) ?? { slot, spares: [], starting: 0 };
    this.entries.delete(key);
    for (const [other, stale] of this.entries) {
      if (stale.slot === slot || this.entries.size >= this.limits.images) {
        void this.drop(other, stale);
      }
    }
    this.entries.set(key, entry);
    while (entry.spares.length + entry.starting < this.limits.perImage) {
      entry.starting++;
      const started: Promise<void> = this.startSpare(create)
        .then(
          async spare => {
            entry.starting--;
            if (this.entries.get(key) === entry && !this.closed) {
              entry.spares.push(spare);
              // A spare that dies waiting (killed from outside) is not handed out.
              void spare.exited.finally(() => {
                entry.spares = entry.spares.filter(s => s !== spare);
              });
            } else {
              await spare.container.remove({ force: true }).catch(() => undefined);
            }
          },
          // Best effort: a spare that cannot start (a GPU missing) leaves the next start to a fresh
          // container, which reports why.
          () => {
            entry.starting--;
          }
        )
        .finally(() => this.pending.delete(started));
      this.pending.add(started);
    }
  }

  /** The ids of the spares waiting now. */
  spareIds(): string[] {
    return [...this.entries.values()].flatMap(entry => entry.spares.map(spare => spare.container.id));
  }

  /** Removes every spare; later fills do nothing. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries];
    this.entries.clear();
    await Promise.all([...entries.map(([key, entry]) => this.drop(key, entry)), ...this.pending]);
  }

  private async drop(key: string, entry: Entry): Promise<void> {
    if (this.entries.get(key) === entry) {
      this.entries.delete(key);
    }
    const spares = entry.spares.splice(0);
    await Promise.all(spares.map(spare => spare.container.remove({ force: true }).catch(() => undefined)));
  }

  private async startSpare(create: Docker.ContainerCreateOptions): Promise<Spare> {
    const container = await this.docker.createContainer(create);
    try {
      const stream = (await container.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true
      })) as unknown as Duplex;
      this.docker.modem.demuxStream(stream, this.output, this.output);
      const exited = (container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>).then(
        result => result.StatusCode
      );
      exited.catch(() => undefined);
      await container.start();
      return { container, stream, exited };
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
  }
}

function keyOf(spec: SpareSpec): { key: string; create: Docker.ContainerCreateOptions } {
  const create = spareKernelContainer(spec);
  return { key: JSON.stringify({ ...create, name: undefined }), create };
}
