import type { Writable } from 'node:stream';
import { CancelledError } from '../errors.js';
import { translateGpuError } from '../docker/gpu.js';
import { ImageRef } from '../docker/imageRef.js';
import type { Accelerator } from '../project/config.js';
import type { Project } from '../project/project.js';
import {
  defaultKernelNetwork,
  kernelContainer,
  removeOrphanKernels,
  type KernelHandle,
  type LauncherIdentity
} from '../kernels/container.js';

export type { KernelHandle };
import type { AppDeps, Progress } from './deps.js';
import { prepareImage } from './images.js';

export interface KernelRequest {
  project: Project;
  accelerator: Accelerator;
  /** Jupyter's connection file for the kernel; mounted read-only. */
  connectionFile: string;
  /** The notebook's folder; the kernel starts there when it is inside the project. */
  cwd: string;
  /** Who owns the container: when that process is gone, the next start removes it. */
  launcher: LauncherIdentity;
  /** The image, when the caller has already prepared it (the companion server, through its builds). */
  image?: ImageRef;
}

/**
 * Starts ipykernel in the project's notebook image (built first if needed and not given; kernels of dead
 * launchers are removed meanwhile), with its output streamed to `stdout`/`stderr`.
 * On failure or abort before the kernel runs, nothing is left behind.
 */
export async function startKernelContainer(
  deps: AppDeps,
  request: KernelRequest,
  options: Progress & { stdout: Writable; stderr: Writable }
): Promise<KernelHandle> {
  const { docker } = deps;
  const { project, accelerator } = request;
  const [{ image }] = await Promise.all([
    request.image
      ? { image: request.image }
      : prepareImage(deps, { project, mode: 'notebook', accelerator, willRun: true }, options),
    // Best effort: an engine that does not answer is reported by the image's preparation.
    removeOrphanKernels(docker).catch(() => [])
  ]);
  const { create, cleanup } = kernelContainer({
    ...request,
    image,
    network: project.config.kernel.network ?? defaultKernelNetwork(),
    env: deps.env
  });
  const container = await docker.createContainer(create);
  const remove = async () => {
    await container.remove({ force: true }).catch(() => undefined);
    cleanup();
  };
  try {
    if (options.signal?.aborted) {
      throw new CancelledError('The kernel start was cancelled.');
    }
    // Output only: the kernel has no stdin, so it runs on when this stream breaks (its companion died).
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    docker.modem.demuxStream(stream, options.stdout, options.stderr);
    // Asked before the start, so a kernel that exits at once is still seen exiting.
    const exited = (container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>).then(
      result => result.StatusCode
    );
    // Rejects when the container is removed before it ran; the start's error is the one to report.
    exited.catch(() => undefined);
    try {
      await container.start();
    } catch (error) {
      throw translateGpuError(error);
    }
    return {
      id: container.id,
      image,
      exited,
      kill: signal => container.kill({ signal }).catch(() => undefined),
      remove
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * Takes over a running kernel container that an earlier companion server started (see
 * `adoptableKernels`): its output is streamed to `stdout`/`stderr` again, its exit is waited
 * for, and it can be signalled and removed as one started here.
 */
export async function adoptKernelContainer(
  docker: AppDeps['docker'],
  id: string,
  output: { stdout: Writable; stderr: Writable }
): Promise<KernelHandle> {
  const container = docker.getContainer(id);
  const info = await container.inspect();
  const image = ImageRef.parse(info.Config.Image);
  if (!image) {
    throw new Error(`Kernel container ${id} runs ${info.Config.Image}, which is not an image Ariel built.`);
  }
  // Asked first, so that an exit while the output is attached is still seen.
  const exited = (container.wait({ condition: 'not-running' }) as Promise<{ StatusCode: number }>).then(
    result => result.StatusCode
  );
  exited.catch(() => undefined);
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  docker.modem.demuxStream(stream, output.stdout, output.stderr);
  return {
    id,
    image,
    exited,
    kill: signal => container.kill({ signal }).catch(() => undefined),
    remove: () => container.remove({ force: true }).catch(() => undefined)
  };
}
