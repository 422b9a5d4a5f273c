import { request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';
import type { AppListener } from '../app/index.js';
import type { Mode } from '../dockerfile/generate.js';
import { ArielError, CancelledError } from '../errors.js';
import { SECRET_HEADER } from '../names.js';
import type { Accelerator } from '../project/config.js';
import type { Build, BuildMessage } from '../app/builds.js';

/** Where a companion server listens (its Unix socket), with the secret to reach it. */
export interface CompanionAddress {
  socket: string;
  secret: string;
}

/**
 * A companion server handed to this process explicitly (ARIEL_COMPANION_SOCKET and
 * ARIEL_COMPANION_SECRET). Jupyter's server extension does not put them in Jupyter's environment:
 * kernels and terminals must not inherit them; its own kernels start through the provisioner.
 */
export function companionFromEnv(env: NodeJS.ProcessEnv = process.env): CompanionAddress | undefined {
  const socket = env.ARIEL_COMPANION_SOCKET;
  const secret = env.ARIEL_COMPANION_SECRET;
  return socket && secret ? { socket, secret } : undefined;
}

/** One JSON request to the companion over its socket: status and parsed body. */
export function companionRequest<T = Record<string, unknown>>(
  companion: CompanionAddress,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { [SECRET_HEADER]: companion.secret }
): Promise<{ status: number; body: T }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        socketPath: companion.socket,
        method,
        path,
        headers: { ...headers, ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }) }
      },
      response => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            resolve({ status: response.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
          } catch (error) {
            reject(error);
          }
        });
      }
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** A WebSocket to `path` on the companion's socket, with the secret unless other headers are given. */
export function companionSocket(
  companion: CompanionAddress,
  path: string,
  headers: Record<string, string> = { [SECRET_HEADER]: companion.secret }
): WebSocket {
  return new WebSocket(`ws+unix://${companion.socket}:${path}`, { headers });
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
  let build: Build;
  try {
    const response = await companionRequest<{ build: Build }>(companion, 'POST', '/builds', request);
    if (response.status !== 202) {
      // E.g. a folder outside Jupyter's root: the caller's own build says what is wrong, if anything.
      return false;
    }
    build = response.body.build;
  } catch {
    return false;
  }
  const final = await new Promise<Build | undefined>(resolve => {
    const ws = companionSocket(companion, `/builds/${encodeURIComponent(build.id)}/events`);
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
