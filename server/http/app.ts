import { timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type Docker from 'dockerode';
import { BuildService } from '../docker/build.js';
import { ensureEngine } from '../docker/engine.js';
import { planImage } from '../dockerfile/plan.js';
import { ArielError } from '../errors.js';
import { findProject } from '../project/project.js';
import { BuildRegistry, type Prepare } from './builds.js';
import { buildEventsServer, streamBuild } from './events.js';
import { parseAccelerator, parseMode, projectSummary, relativeTo, resolveFolder } from './project.js';
import { readJson, refuseUpgrade, sendError, sendJson } from './respond.js';

/** The header every request must carry, with the secret the server was started with. */
export const SECRET_HEADER = 'x-ariel-secret';

export interface AppDeps {
  /** Jupyter's root folder: every path a request names is relative to it and must stay inside. */
  root: string;
  /** The per-start secret; requests without it are refused. */
  secret: string;
  docker: Docker;
  version: string;
  /** Log lines kept per build for replay (default 1000). */
  logLines?: number;
  /** Where machine defaults (ARIEL_BASE_IMAGE_CPU, ...) are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Interval of the WebSocket heartbeat (default 30 s). */
  heartbeatMs?: number;
}

export interface App {
  /** Not listening yet: the caller chooses where. */
  server: Server;
  /** Cancels running builds, closes sockets and stops the server. */
  close(): Promise<void>;
}

interface RequestContext {
  request: IncomingMessage;
  url: URL;
  params: string[];
}

type Handler = (context: RequestContext) => Promise<{ status?: number; body: unknown }>;

/** The companion server's HTTP and WebSocket API, as json-server's createApp: built from its dependencies, never listening. */
export function createApp(deps: AppDeps): App {
  const root = realpathSync(deps.root);
  const env = deps.env ?? process.env;
  const service = new BuildService(deps.docker);
  const prepare: Prepare = (plan, options) => service.ensureImage(plan, options);
  const builds = new BuildRegistry(prepare, { logLines: deps.logLines ?? 1000 });
  const events = buildEventsServer(deps.heartbeatMs ?? 30_000);
  const secret = Buffer.from(deps.secret);

  const authorized = (request: IncomingMessage) => {
    const given = Buffer.from(String(request.headers[SECRET_HEADER] ?? ''));
    return given.length === secret.length && timingSafeEqual(given, secret);
  };
  const forbidden = () =>
    new ArielError('forbidden', "This request lacks the companion server's secret.", 'Reach Ariel through JupyterLab.');

  const planFor = (path: unknown, mode: unknown, accelerator: unknown) => {
    const options = { mode: parseMode(mode), accelerator: parseAccelerator(accelerator), env };
    return planImage(findProject(resolveFolder(root, path)), options);
  };

  const routes: [method: string, pattern: RegExp, handler: Handler][] = [
    ['GET', /^\/version$/, async () => ({ body: { version: deps.version } })],
    [
      'GET',
      /^\/project$/,
      async ({ url }) => ({ body: projectSummary(root, resolveFolder(root, url.searchParams.get('path'))) })
    ],
    [
      'GET',
      /^\/dockerfile$/,
      async ({ url }) => {
        const query = url.searchParams;
        const plan = planFor(query.get('path'), query.get('mode'), query.get('accelerator'));
        const image = await service.imageFor(plan);
        return {
          body: { dockerfile: plan.dockerfile, image, mode: plan.spec.mode, accelerator: plan.spec.accelerator }
        };
      }
    ],
    ['GET', /^\/builds$/, async () => ({ body: { builds: builds.list() } })],
    [
      'POST',
      /^\/builds$/,
      async ({ request }) => {
        const body = await readJson(request);
        const plan = planFor(body.path, body.mode, body.accelerator);
        const image = await service.imageFor(plan);
        await ensureEngine(deps.docker);
        return { status: 202, body: { build: builds.start(plan, image, relativeTo(root, plan.project.root)) } };
      }
    ],
    ['GET', /^\/builds\/([^/]+)$/, async ({ params }) => ({ body: { build: builds.get(params[0]) } })],
    ['DELETE', /^\/builds\/([^/]+)$/, async ({ params }) => ({ body: { build: await builds.cancel(params[0]) } })]
  ];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    try {
      if (!authorized(request)) {
        throw forbidden();
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      const matching = routes.filter(([, pattern]) => pattern.test(url.pathname));
      const route = matching.find(([method]) => method === request.method);
      if (!route) {
        throw matching.length > 0
          ? new ArielError(
              'usage',
              `${request.method} is not allowed on ${url.pathname}.`,
              `Use ${matching.map(([method]) => method).join(' or ')}.`
            )
          : notFound(url.pathname);
      }
      const params = route[1].exec(url.pathname)!.slice(1).map(decodeSegment);
      const { status, body } = await route[2]({ request, url, params });
      sendJson(response, status ?? 200, body);
    } catch (error) {
      if (!(error instanceof ArielError)) {
        process.stderr.write(`[Ariel] ${request.method} ${request.url} failed: ${(error as Error)?.stack ?? error}\n`);
      }
      sendError(response, error);
    }
  };

  const server = createServer((request, response) => void handle(request, response));
  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!authorized(request)) {
      refuseUpgrade(socket, forbidden());
      return;
    }
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/builds\/([^/]+)\/events$/.exec(pathname);
    try {
      if (!match) {
        throw notFound(pathname);
      }
      const id = decodeSegment(match[1]);
      builds.get(id);
      events.wss.handleUpgrade(request, socket, head, ws => {
        events.wss.emit('connection', ws, request);
        streamBuild(ws, builds, id);
      });
    } catch (error) {
      refuseUpgrade(socket, error instanceof ArielError ? error : notFound(pathname));
    }
  });

  return {
    server,
    close: async () => {
      events.close();
      await builds.close();
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  };
}

function notFound(pathname: string): ArielError {
  return new ArielError('not-found', `No such route: ${pathname}.`, 'See "Companion server API" in Ariel\'s README.');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ArielError(
      'usage',
      `Malformed URL encoding in "${segment}".`,
      'Encode path segments with encodeURIComponent.'
    );
  }
}
