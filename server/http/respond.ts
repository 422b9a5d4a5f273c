import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ArielError, type ErrorCode } from '../errors.js';
import { errorBody } from '../app/builds.js';

/**
 * The HTTP status of every error code: 4xx for what the request, the project or the machine's
 * setup got wrong (the user can fix it), 5xx only for Ariel's own failures and for services it
 * depends on. Every code is listed, so a new one has to choose.
 */
const STATUS: Record<ErrorCode, number> = {
  usage: 400,
  forbidden: 403,
  // A build cancelled while a request waited for it, or a companion that is stopping.
  cancelled: 409,
  'file-unreadable': 400,
  'project-not-found': 404,
  'config-invalid': 400,
  // A value a check before the Dockerfile generator should have refused: Ariel's own failure.
  'dockerfile-unsafe': 500,
  'dependencies-invalid': 400,
  unsupported: 400,
  'experiment-config-invalid': 400,
  'too-many-jobs': 400,
  'target-invalid': 400,
  'engine-unreachable': 503,
  // A GPU asked for on a machine that has none to give.
  'gpu-unavailable': 409,
  // The base image the project names cannot be found or pulled.
  'base-image-unavailable': 400,
  // The project's own build steps failed (its requirements, its apt packages).
  'build-failed': 422,
  'jobs-failed': 422,
  'kernels-install-failed': 500,
  'not-found': 404,
  'image-in-use': 409,
  'cloud-spec-invalid': 400,
  'cloud-spec-unknown': 400,
  'cloud-output-missing': 400,
  // The registry or Vertex AI refused or did not answer.
  'push-failed': 502,
  'cloud-request-failed': 502,
  'cloud-submit-incomplete': 502,
  'history-not-found': 404,
  'node-version-mismatch': 500,
  // Another request is doing the same thing now (a group being submitted).
  conflict: 409,
  internal: 500,
  // Said by the server extension and the browser, never by the companion itself.
  'companion-unavailable': 503,
  'http-error': 502
};

export function statusOf(error: unknown): number {
  return error instanceof ArielError ? (STATUS[error.code] ?? 500) : 500;
}

/** Sends a JSON answer; when an answer has already begun, the connection is closed instead. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store'
  });
  response.end(text);
}

/** The error as JSON, with its code's status unless `status` says otherwise (e.g. 405 with `Allow`). */
export function sendError(
  response: ServerResponse,
  error: unknown,
  options: { status?: number; headers?: Record<string, string> } = {}
): void {
  sendJson(response, options.status ?? statusOf(error), errorBody(error), options.headers);
}

/** Refuses a WebSocket upgrade with an HTTP status and a JSON error, as `ws`'s abortHandshake does. */
export function refuseUpgrade(socket: Duplex, error: ArielError): void {
  const status = statusOf(error);
  const text = JSON.stringify(error.toJSON());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
  );
}

/** Request bodies are small JSON objects; anything larger is refused rather than buffered. */
const MAX_BODY = 64 * 1024;

/** The request's JSON body as an object; a missing body is `{}`. */
export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) {
      throw new ArielError('usage', `The request body is larger than ${MAX_BODY} bytes.`, 'Send a small JSON object.');
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArielError(
      'usage',
      `The request body is not valid JSON (${(error as Error).message}).`,
      'Send a JSON object, e.g. {"path": "", "mode": "notebook", "accelerator": "cpu"}.'
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArielError('usage', 'The request body must be a JSON object.', 'Send e.g. {"path": ""}.');
  }
  return value as Record<string, unknown>;
}
