import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ArielError, type ErrorCode } from '../errors.js';
import { errorBody } from './builds.js';

/** HTTP statuses of error codes; any other code is a 500. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  usage: 400,
  'config-invalid': 400,
  'dependencies-invalid': 400,
  'experiment-config-invalid': 400,
  'target-invalid': 400,
  'too-many-jobs': 400,
  'cloud-spec-invalid': 400,
  'cloud-spec-unknown': 400,
  'cloud-output-missing': 400,
  'history-not-found': 404,
  unsupported: 400,
  'file-unreadable': 400,
  forbidden: 403,
  'not-found': 404,
  'project-not-found': 404,
  'image-in-use': 409,
  conflict: 409,
  'engine-unreachable': 503
};

export function statusOf(error: unknown): number {
  return error instanceof ArielError ? (STATUS[error.code] ?? 500) : 500;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store'
  });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown): void {
  sendJson(response, statusOf(error), errorBody(error));
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
