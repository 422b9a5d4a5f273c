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
