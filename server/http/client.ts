import { WebSocket } from 'ws';
import type { AppListener } from '../app/index.js';
import type { Mode } from '../dockerfile/generate.js';
import { ArielError, CancelledError } from '../errors.js';
import { SECRET_HEADER } from '../names.js';
import type { Accelerator } from '../project/config.js';
import type { Build, BuildMessage } from './builds.js';

/** Where Jupyter's server extension says its companion server listens, with the secret to reach it. */
export interface CompanionAddress {
  url: string;
  secret: string;
}

/** The companion server of the Jupyter Server this process runs under, if any (the server extension sets both). */
export function companionFromEnv(env: NodeJS.ProcessEnv = process.env): CompanionAddress | undefined {
  const url = env.ARIEL_COMPANION_URL;
  const secret = env.ARIEL_COMPANION_SECRET;
  return url && secret ? { url, secret } : undefined;
}

export interface CompanionBuildRequest {
  /** The folder, absolute or relative to Jupyter's root. */
  path: string;
  mode: Mode;
  accelerator: Accelerator;
  /** The image is to be run here: a GPU image is then checked for a GPU before it is built. */
  run?: boolean;
}

/**
 * Builds an image through the companion server, so that the build is shared with the sidebar's
 * and shows there with its live log; `onEvent` gets its events. Resolves to true once the image
 * exists, to false when the companion cannot be reached, refused the request or went away
 * (build it yourself then);
 * rejects with the build's error when it failed or was cancelled.
 */
export async function buildThroughCompanion(
  companion: CompanionAddress,
  request: CompanionBuildRequest,
  onEvent: AppListener
): Promise<boolean> {
  const headers = { [SECRET_HEADER]: companion.secret };
  let build: Build;
  try {
    const response = await fetch(`${companion.url}/builds`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(request)
    });
    if (response.status !== 202) {
      // E.g. a folder outside Jupyter's root: the caller's own build says what is wrong, if anything.
      return false;
    }
    build = ((await response.json()) as { build: Build }).build;
  } catch {
    return false;
  }
  const final = await new Promise<Build | undefined>(resolve => {
    const ws = new WebSocket(`${companion.url.replace(/^http/, 'ws')}/builds/${build.id}/events`, { headers });
    let last: Build | undefined;
    ws.on('message', data => {
      const message = JSON.parse(String(data)) as BuildMessage;
      if (message.type === 'state') {
        last = message.build;
      } else if (message.type !== 'error') {
        onEvent(message);
      }
    });
    ws.on('error', () => resolve(undefined));
    ws.on('close', () => resolve(last?.state === 'running' ? undefined : last));
  });
  if (!final) {
    return false;
  }
  if (final.state === 'succeeded') {
    return true;
  }
  const error = final.error ?? { code: 'build-failed', message: `The build of ${final.image} ${final.state}.` };
  if (error.code === 'cancelled') {
    throw new CancelledError(error.message);
  }
  throw new ArielError(error.code === 'internal' ? 'build-failed' : error.code, error.message, error.hint);
}
