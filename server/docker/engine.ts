import Docker from 'dockerode';
import modemHttp from 'docker-modem/lib/http.js';
import { ArielError } from '../errors.js';

// The engine answers a path it cleans (`/containers/a/../b/json`) with a redirect, which
// docker-modem follows to a host named by the path's first part, with no error handler: one
// request with a hostile id made a blind request elsewhere and crashed the process. The engine's
// API has no redirects of its own, so none is followed, for every request of every client here.
modemHttp.maxRedirects = 0;

/** A client for the engine that DOCKER_HOST names, or the local default socket. */
export function connectDocker(): Docker {
  return new Docker();
}

/** Where the client will look for the engine, in words a user recognises. */
function engineAddress(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: number | string };
  if (modem.host) {
    return `${modem.host}:${modem.port}`;
  }
  // docker-modem's default is a function that picks the user's or the system's socket.
  return typeof modem.socketPath === 'string' ? `unix://${modem.socketPath}` : 'the default Docker socket';
}

/** The actionable error for an engine that does not answer. */
function unreachable(docker: Docker, error: unknown): ArielError {
  return new ArielError(
    'engine-unreachable',
    `Cannot reach the Docker engine at ${engineAddress(docker)} (${reason(error)}).`,
    'Start the Docker engine (e.g. `sudo systemctl start docker`, or `dockerd` on machines without systemd), or set DOCKER_HOST to one that runs.'
  );
}

/** Socket errors that mean nothing answers at the engine's address. */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Turns a request that failed to connect into the actionable error; other errors pass through. */
export function engineError(docker: Docker, error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (isRedirect(error)) {
    return new Error(
      `The Docker engine at ${engineAddress(docker)} answered with a redirect, which Ariel does not follow: ` +
        'the request named something that is not an id or reference.'
    );
  }
  return code && CONNECTION_FAILURES.has(code) ? unreachable(docker, error) : error;
}

/** The error docker-modem raises instead of following a redirect (see `maxRedirects` above). */
export function isRedirect(error: unknown): boolean {
  return /^Max redirects exceeded/.test((error as { message?: string })?.message ?? '');
}

/** Fails with an actionable message when no engine answers. */
export async function ensureEngine(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw unreachable(docker, error);
  }
}

/** The engine's own words for a failed request, without dockerode's HTTP framing. */
export function reason(error: unknown): string {
  const err = error as { json?: { message?: string }; reason?: string; code?: string; message?: string };
  return err.json?.message ?? err.code ?? err.message ?? String(error);
}

/**
 * A path part of an engine request (a container id, an image reference), encoded: dockerode puts
 * ids into request paths as they are, so an id with a `/`, `?` or `..` would name another path.
 */
export function enginePathPart(value: string): string {
  return encodeURIComponent(value);
}

/** True when the engine answered 404 (no such image, container, ...). */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}
