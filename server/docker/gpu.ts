import type Docker from 'dockerode';
import { ArielError } from '../errors.js';
import { reason } from './engine.js';

/** Docker's device request for all GPUs (what `docker run --gpus all` sends). */
export const ALL_GPUS: Docker.DeviceRequest[] = [{ Driver: '', Count: -1, Capabilities: [['gpu']] }];

/** The engine's words when it has no GPU runtime to hand a device request to. */
const NO_GPU = /could not select device driver|nvidia-container-cli|unknown or invalid runtime name: nvidia|no gpu/i;

export function noGpuError(detail: string, instead: string): ArielError {
  // The way on comes first: JupyterLab's dialog shows this as one line and cuts it off.
  return new ArielError(
    'gpu-unavailable',
    'No GPU is available to Docker on this machine.',
    `Use ${instead} instead; GPU containers need an NVIDIA GPU and the NVIDIA container toolkit (the engine said: ${detail}).`
  );
}

/** Turns the engine's refusal of a GPU request into the clear message; other errors pass through. */
export function translateGpuError(error: unknown, instead: string): unknown {
  const text = reason(error);
  return NO_GPU.test(text) ? noGpuError(text, instead) : error;
}

/**
 * Fails fast, before any build, when the engine cannot give containers a GPU: it asks
 * for one with a throwaway container from an image the engine already has.
 */
export async function ensureGpuAvailable(docker: Docker, instead: string): Promise<void> {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  const images = await docker.listImages();
  const probe = images.flatMap(image => image.RepoTags ?? []).find(tag => tag !== '<none>:<none>');
  if (!probe) {
    if (!info.Runtimes || !('nvidia' in info.Runtimes)) {
      throw noGpuError('the engine has no NVIDIA runtime', instead);
    }
    return;
  }
  const container = await docker.createContainer({
    Image: probe,
    Entrypoint: ['true'],
    Cmd: [],
    Labels: { 'org.ariel.role': 'gpu-probe' },
    HostConfig: { DeviceRequests: ALL_GPUS, NetworkMode: 'none' }
  });
  try {
    await container.start();
  } catch (error) {
    const translated = translateGpuError(error, instead);
    if (translated instanceof ArielError) {
      throw translated;
    }
    // Any other failure says nothing about GPUs; the real container will tell.
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
