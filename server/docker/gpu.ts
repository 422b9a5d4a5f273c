import type Docker from 'dockerode';
import { ArielError } from '../errors.js';
import { confinement } from './containers.js';
import { reason } from './engine.js';
import type { RunnableImage } from './imageRef.js';
import { LABELS } from './labels.js';

/** Docker's device request for all GPUs (what `docker run --gpus all` sends). */
const ALL_GPUS: Docker.DeviceRequest[] = [{ Driver: '', Count: -1, Capabilities: [['gpu']] }];

/** The device requests a container of this image needs: all GPUs for a GPU image, none otherwise. */
export function deviceRequestsFor(image: RunnableImage): Docker.DeviceRequest[] | undefined {
  return image.accelerator === 'gpu' ? ALL_GPUS : undefined;
}

/** The engine's words when it has no GPU runtime to hand a device request to. */
const NO_GPU = /could not select device driver|nvidia-container-cli|unknown or invalid runtime name: nvidia|no gpu/i;

/**
 * The error for a machine without GPU containers. Its hint says why; the entry point puts its
 * own CPU way out in front (the CLI's `--cpu`, the launcher's CPU kernel).
 */
export function noGpuError(detail: string): ArielError {
  return new ArielError(
    'gpu-unavailable',
    'No GPU is available to Docker on this machine.',
    `GPU containers need an NVIDIA GPU and the NVIDIA container toolkit (the engine said: ${detail}).`
  );
}

/** Turns the engine's refusal of a GPU request into the clear error; other errors pass through. */
export function translateGpuError(error: unknown): unknown {
  const text = reason(error);
  return NO_GPU.test(text) ? noGpuError(text) : error;
}

/**
 * Fails fast, before any build, when the engine cannot give containers a GPU: it asks
 * for one with a throwaway container from an image the engine already has.
 */
export async function ensureGpuAvailable(docker: Docker): Promise<void> {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  const images = await docker.listImages();
  const probe = images.flatMap(image => image.RepoTags ?? []).find(tag => tag !== '<none>:<none>');
  if (!probe) {
    if (!info.Runtimes || !('nvidia' in info.Runtimes)) {
      throw noGpuError('the engine has no NVIDIA runtime');
    }
    return;
  }
  const container = await docker.createContainer({
    Image: probe,
    Entrypoint: ['true'],
    Cmd: [],
    Labels: { [LABELS.role]: 'gpu-probe' },
    HostConfig: { ...confinement(), DeviceRequests: ALL_GPUS, NetworkMode: 'none' }
  });
  try {
    await container.start();
  } catch (error) {
    const translated = translateGpuError(error);
    if (translated instanceof ArielError) {
      throw translated;
    }
    // Any other failure says nothing about GPUs; the real container will tell.
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
