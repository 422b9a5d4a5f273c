import type Docker from 'dockerode';
import { ArielError, CancelledError } from '../errors.js';
import type { Accelerator } from '../project/config.js';
import { IMAGE_REFERENCE } from '../project/values.js';
import { engineError, enginePathPart, isNotFound, reason } from './engine.js';
import { GivenImage } from './imageRef.js';

/** An image id as `docker images` prints it (12 hex digits or more), with or without `sha256:`. */
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{12,64}$/;

/**
 * `--image NAME`, checked without the engine: a reference by Docker's grammar (`name:tag`,
 * `name@sha256:…`) or an image id (`sha256:…`).
 */
export function givenImage(name: string, accelerator: Accelerator): GivenImage {
  const problem = IMAGE_ID.test(name) ? undefined : IMAGE_REFERENCE.check(name);
  if (problem) {
    throw new ArielError(
      'usage',
      `--image ${JSON.stringify(name)} ${problem}.`,
      `Give ${IMAGE_REFERENCE.expected}, or an image id (sha256:…) as docker images lists it.`
    );
  }
  return new GivenImage(name, accelerator);
}

/**
 * The existing image `--image` names, found on the engine or pulled from its registry (a
 * reference, not an id); a clear error when it is neither. Nothing is built.
 */
export async function findGivenImage(docker: Docker, image: GivenImage, signal?: AbortSignal): Promise<GivenImage> {
  const inspect = () => docker.getImage(enginePathPart(image.name)).inspect();
  try {
    return new GivenImage(image.name, image.accelerator, (await inspect()).Id);
  } catch (error) {
    if (!isNotFound(error)) {
      throw engineError(docker, error);
    }
  }
  let pullFailure = 'an image id cannot be pulled';
  if (!IMAGE_ID.test(image.name)) {
    try {
      await pull(docker, image.name, signal);
      return new GivenImage(image.name, image.accelerator, (await inspect()).Id);
    } catch (error) {
      if (error instanceof CancelledError) {
        throw error;
      }
      pullFailure = `pulling it failed: ${reason(error)}`;
    }
  }
  throw new ArielError(
    'not-found',
    `No image ${image.name} on this engine, and ${pullFailure}.`,
    "Name an image docker images lists (name:tag, name@sha256:… or its id), push it where this engine can pull it, or leave out --image to build the project's image."
  );
}

/** `docker pull` of a reference; a name without tag or digest is its `latest`, as Docker takes it. */
async function pull(docker: Docker, name: string, signal?: AbortSignal): Promise<void> {
  const last = name.slice(name.lastIndexOf('/') + 1);
  const reference = name.includes('@') || last.includes(':') ? name : `${name}:latest`;
  const stream = (await docker.pull(reference, { abortSignal: signal })) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => {
    signal?.addEventListener('abort', () => reject(new CancelledError('Interrupted while pulling the image.')), {
      once: true
    });
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (message: { error?: string }) => {
        if (message.error) {
          reject(new Error(message.error));
        }
      }
    );
  });
}
