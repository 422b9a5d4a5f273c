import { timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  BuildRegistry,
  KernelRegistry,
  listContainers,
  listImages,
  planFor,
  prepareImage,
  pruneImages,
  removeImage,
  resolveImage,
  stopContainer,
  type AppDeps,
  type Connect,
  type ImageRequest
} from '../app/index.js';
import { ensureEngine } from '../docker/engine.js';
import { ArielError } from '../errors.js';
import { SECRET_HEADER } from '../names.js';
import { findProject } from '../project/project.js';
import { cloudRoutes } from './cloud.js';
import { driftRoutes } from './drift.js';
import { buildEventsServer, streamBuild, streamMessages } from './events.js';
import { companionId, containerId, imageReference, pathPart } from './ids.js';
import { kernelRoutes } from './kernels.js';
import { parseAccelerator, parseMode, projectSummary, relativeTo, resolveFolder } from './project.js';
import { readJson, refuseUpgrade, sendError, sendJson } from './respond.js';
import { methodOf, type Route } from './routes.js';

/** The header every request must carry, with the secret the server was started with. */
export { SECRET_HEADER };

export interface CompanionDeps {
  /** Jupyter's root folder: every path a request names is relative to it and must stay inside. */
  root: string;
  /** Jupyter's runtime folder: kernel connection files must lie there. */
  runtimeDir: string;
  /** The per-start secret; requests without it are refused. */
  secret: string;
  /** The application layer's dependencies: the Docker client, the build service, the environment. */
  app: AppDeps;
  version: string;
  /** Log lines kept per build for replay (default 1000). */
  logLines?: number;
  /** Interval of the WebSocket heartbeat (default 30 s). */
  heartbeatMs?: number;
  /** Opens a region's Vertex AI JobService (default: the real one, or ARIEL_VERTEX_ENDPOINT's). */
  connectVertex?: Connect;
}

export interface App {
  /** Not listening yet: the caller chooses where. */
  server: Server;
  /** Cancels running builds, closes sockets and stops the server. */
  close(): Promise<void>;
}

/**
 * The companion server's HTTP and WebSocket API, as json-server's createApp: built from its
 * dependencies, never listening. Routes only translate requests into calls of the application
 * layer (server/app) and its results into JSON.
 */
export function createApp(deps: CompanionDeps): App {
  const root = realpathSync(deps.root);
  const { app } = deps;
  const builds = new BuildRegistry({ logLines: deps.logLines ?? 1000 });
  const events = buildEventsServer(deps.heartbeatMs ?? 30_000);
  const secret = Buffer.from(deps.secret);
  const cloud = cloudRoutes({ root, app, connect: deps.connectVertex });

  const authorized = (request: IncomingMessage) => {
    const given = Buffer.from(String(request.headers[SECRET_HEADER.toLowerCase()] ?? ''));
    return given.length === secret.length && timingSafeEqual(given, secret);
  };
  const forbidden = () =>
    new ArielError('forbidden', "This request lacks the companion server's secret.", 'Reach Ariel through JupyterLab.');

  /** Mode and accelerator are checked before the folder is read, so a bad one is named first. */
  const imageRequest = (path: unknown, mode: unknown, accelerator: unknown): ImageRequest => {
    const options = { mode: parseMode(mode), accelerator: parseAccelerator(accelerator) };
    return { project: findProject(resolveFolder(root, path)), ...options };
  };
  /** The project root of a folder a request names, for filtering; undefined when no path is given. */
  const projectOf = (path: unknown) =>
    path === undefined || path === null ? undefined : findProject(resolveFolder(root, path)).root;
  const relative = (path: string | undefined) => (path === undefined ? undefined : relativeTo(root, path));

  const kernels = new KernelRegistry({ app, root, runtimeDir: deps.runtimeDir, builds });
  const routes: Route[] = [
    ['GET /version', /^\/version$/, async () => ({ body: { version: deps.version } })],
    [
      'GET /project',
      /^\/project$/,
      async ({ url }) => ({ body: projectSummary(root, resolveFolder(root, url.searchParams.get('path'))) })
    ],
    [
      'GET /dockerfile',
      /^\/dockerfile$/,
      async ({ url }) => {
        const query = url.searchParams;
        const request = imageRequest(query.get('path'), query.get('mode'), query.get('accelerator'));
        const plan = planFor(app, request);
        const image = await app.builds.imageFor(plan);
        return {
          body: { dockerfile: plan.dockerfile, image: image.name, mode: image.mode, accelerator: image.accelerator }
        };
      }
    ],
    ['GET /builds', /^\/builds$/, async () => ({ body: { builds: builds.list() } })],
    [
      'POST /builds',
      /^\/builds$/,
      async ({ request }) => {
        const body = await readJson(request);
        if (body.run !== undefined && typeof body.run !== 'boolean') {
          throw new ArielError(
            'usage',
            '"run" must be true or false.',
            'Send "run": true for an image to be run here.'
          );
        }
        const imageRequested = { ...imageRequest(body.path, body.mode, body.accelerator), willRun: body.run === true };
        const resolved = await resolveImage(app, imageRequested);
        await ensureEngine(app.docker);
        const project = relativeTo(root, imageRequested.project.root);
        const build = builds.start(resolved.image, project, progress =>
          prepareImage(app, imageRequested, { ...progress, resolved })
        );
        return { status: 202, body: { build } };
      }
    ],
    [
      'GET /builds/:id',
      /^\/builds\/([^/]*)$/,
      async ({ params }) => ({ body: { build: builds.get(companionId(params[0], 'build')) } })
    ],
    [
      'DELETE /builds/:id',
      /^\/builds\/([^/]*)$/,
      async ({ params }) => ({ body: { build: await builds.cancel(companionId(params[0], 'build')) } })
    ],
    [
      'GET /images',
      /^\/images$/,
      async ({ url }) => {
        const images = await listImages(app, {
          project: projectOf(url.searchParams.get('path') ?? undefined),
          withPackages: true
        });
        // null: built before images recorded their packages. The list: GET /images/{reference}/record.
        const packageCount = (name: string) => images.find(image => image.name === name)?.packages?.length ?? null;
        return {
          body: {
            images: images.map(({ name, id, project, mode, accelerator, extras, size, created, current }) => ({
              reference: name,
              id,
              project: relative(project),
              mode,
              accelerator,
              extras,
              size,
              created,
              current,
              packageCount: packageCount(name)
            }))
          }
        };
      }
    ],
    [
      'POST /images/prune',
      /^\/images\/prune$/,
      async ({ request }) => {
        const { removed, failed } = await pruneImages(app, { project: projectOf((await readJson(request)).path) });
        return {
          body: {
            removed: removed.map(image => image.name),
            failed: failed.map(({ image, error }) => ({ reference: image.name, error: error.toJSON() }))
          }
        };
      }
    ],
    [
      'DELETE /images/:reference',
      /^\/images\/([^/]*)$/,
      async ({ params }) => {
        const name = imageReference(params[0]);
        await removeImage(app, name);
        return { body: { removed: [name] } };
      }
    ],
    [
      'GET /containers',
      /^\/containers$/,
      async () => {
        // The warm pool's spares are not kernels yet: the sidebar lists the kernels that run.
        const containers = (await listContainers(app)).filter(c => c.role !== 'gpu-probe' && !c.spare);
        return {
          body: {
            containers: containers.map(c => ({ ...c, project: relative(c.project) }))
          }
        };
      }
    ],
    [
      'DELETE /containers/:id',
      /^\/containers\/([^/]*)$/,
      async ({ params }) => {
        const id = containerId(params[0]);
        await stopContainer(app, id);
        return { body: { stopped: id } };
      }
    ],
    ...driftRoutes(app, root),
    ...cloud.routes,
    ...kernelRoutes(kernels, root)
  ];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    try {
      if (!authorized(request)) {
        throw forbidden();
      }
      const { pathname, url } = requestTarget(request);
      const matching = routes.filter(([, pattern]) => pattern.test(pathname));
      const route = matching.find(([key]) => methodOf(key) === request.method);
      if (!route) {
        if (matching.length === 0) {
          throw notFound(pathname);
        }
        const allowed = matching.map(([key]) => methodOf(key));
        request.resume();
        sendError(
          response,
          new ArielError('usage', `${request.method} is not allowed on ${pathname}.`, `Use ${allowed.join(' or ')}.`),
          { status: 405, headers: { Allow: allowed.join(', ') } }
        );
        return;
      }
      const params = route[1]
        .exec(pathname)!
        .slice(1)
        .map(segment => pathPart(decodeSegment(segment), 'path part'));
      const { status, body } = await route[2]({ request, url, params });
      sendJson(response, status ?? 200, body);
    } catch (error) {
      if (!(error instanceof ArielError)) {
        process.stderr.write(`[Ariel] ${request.method} ${request.url} failed: ${(error as Error)?.stack ?? error}\n`);
      }
      sendError(response, error);
    }
  };

  // A failure inside a handler is answered (500 with its message); nothing a request does ends the process.
  const server = createServer((request, response) => {
    request.on('error', () => undefined);
    response.on('error', () => undefined);
    handle(request, response).catch(error => {
      process.stderr.write(`[Ariel] ${request.method} ${request.url} failed: ${(error as Error)?.stack ?? error}\n`);
      response.destroy();
    });
  });
  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!authorized(request)) {
      refuseUpgrade(socket, forbidden());
      return;
    }
    let pathname: string;
    try {
      pathname = requestTarget(request).pathname;
    } catch (error) {
      refuseUpgrade(socket, error instanceof ArielError ? error : notFound(String(request.url)));
      return;
    }
    const match = /^\/builds\/([^/]+)\/events$/.exec(pathname);
    try {
      const submission = cloud.subscription(pathname);
      if (!match && !submission) {
        throw notFound(pathname);
      }
      const id = match ? decodeSegment(match[1]) : '';
      if (match) {
        builds.get(id);
      }
      events.wss.handleUpgrade(request, socket, head, ws => {
        events.wss.emit('connection', ws, request);
        if (submission) {
          streamMessages(ws, submission, message => message.type === 'state');
        } else {
          streamBuild(ws, builds, id);
        }
      });
    } catch (error) {
      refuseUpgrade(socket, error instanceof ArielError ? error : notFound(pathname));
    }
  });

  return {
    server,
    close: async () => {
      events.close();
      // Also removes the kernel containers started here; a kernel start waiting for a build fails with it.
      await Promise.all([builds.close(), cloud.close(), kernels.close()]);
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  };
}

function notFound(pathname: string): ArielError {
  const shown = pathname.length > 200 ? `${pathname.slice(0, 200)}…` : pathname;
  return new ArielError('not-found', `No such route: ${shown}.`, 'See "Companion server API" in Ariel\'s README.');
}

/**
 * The request's path as sent and its URL (for the query). The path is not normalised: `//host/x`
 * is a path here, not another host, and a `..` or `.` segment stays an id that routes refuse,
 * rather than a step that leads to another route.
 */
function requestTarget(request: IncomingMessage): { pathname: string; url: URL } {
  const target = request.url ?? '/';
  const pathname = target.split(/[?#]/, 1)[0];
  const url = URL.canParse(`http://localhost${target}`) ? new URL(`http://localhost${target}`) : undefined;
  if (!pathname.startsWith('/') || !url) {
    throw new ArielError(
      'usage',
      `The request target ${JSON.stringify(target.slice(0, 80))} is not a path.`,
      'Send a path such as /version.'
    );
  }
  return { pathname, url };
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
