import type { IncomingMessage } from 'node:http';
import type { RouteKey, Routes } from './contract.js';

/**
 * The types of the companion's routes, in one module that imports no route: the app and every
 * route module (`cloud.ts`, `drift.ts`, `kernels.ts`, ...) import these, never each other.
 */

/** What a handler gets: the request (for its body), its URL (for the query) and the path's parameters, decoded. */
export interface RequestContext {
  request: IncomingMessage;
  url: URL;
  params: string[];
}

/** A route's handler: the status (200 unless given) and the body the contract names for its route. */
export type Handler<Body> = (context: RequestContext) => Promise<{ status?: number; body: Body }>;

/**
 * A route by its key in the wire contract (`'GET /builds/:id'`), the pattern of its path and its
 * handler, which must answer the body the contract gives that key.
 */
export type Route = { [K in RouteKey]: [route: K, pattern: RegExp, handler: Handler<Routes[K]>] }[RouteKey];

/** The method of a route key: `'GET /builds/:id'` → `'GET'`. */
export function methodOf(route: RouteKey): string {
  return route.slice(0, route.indexOf(' '));
}

/**
 * Which routes Jupyter's proxy forwards from the browser (`ROUTES` in jupyterlab_ariel/handlers.py,
 * the ones the frontend uses), and why the others are not: a route added to the contract must
 * be decided here (`tsc` fails otherwise), and `proxy.jupyter.test.ts` checks the Python list
 * against this one.
 */
export const FORWARDED: Record<RouteKey, true | string> = {
  'GET /version': 'the server extension answers the handshake itself',
  'GET /project': true,
  'GET /dockerfile': true,
  'GET /builds': true,
  'POST /builds': true,
  'GET /builds/:id': 'the frontend follows a build on its events socket',
  'DELETE /builds/:id': true,
  'GET /images': true,
  'POST /images/prune': true,
  'DELETE /images/:reference': true,
  'GET /images/:reference/record': true,
  'GET /kernels/drift': true,
  'POST /kernels/drift/add': true,
  'GET /containers': true,
  'DELETE /containers/:id': true,
  'POST /kernels': "only Ariel's kernel provisioner starts kernels",
  'GET /kernels/:id': "only Ariel's kernel provisioner asks about kernels",
  'POST /kernels/:id/signal': "only Ariel's kernel provisioner signals kernels",
  'DELETE /kernels/:id': "only Ariel's kernel provisioner removes kernels",
  'GET /cloud/catalog': true,
  'POST /cloud/preview': true,
  'POST /cloud/check': true,
  'GET /cloud/submissions': 'the frontend follows a submission on its events socket',
  'POST /cloud/submissions': true,
  'GET /cloud/submissions/:id': 'the frontend follows a submission on its events socket',
  'DELETE /cloud/submissions/:id': true,
  'GET /cloud/jobs': true,
  'POST /cloud/groups/:name/stop': true,
  'POST /cloud/jobs/:id/stop': true,
  'GET /cloud/jobs/:id/log': true,
  'POST /cloud/groups/:name/resubmit': true
};

/** The companion's WebSockets (`SOCKETS` in handlers.py, which forwards them all), by their paths. */
export const SOCKET_ROUTES = ['/builds/:id/events', '/cloud/submissions/:id/events'] as const;
