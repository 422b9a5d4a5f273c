import { explainKernelFailure } from '../kernels/explain.js';
import { errorBody } from '../app/builds.js';
import type { KernelRegistry } from '../app/kernelRegistry.js';
import { kernelId } from './ids.js';
import { parseAccelerator, resolveFolder } from './project.js';
import { readJson, statusOf } from './respond.js';
import type { Route } from './routes.js';

/**
 * The routes of the kernels API (see `KernelRegistry` in server/app/kernelRegistry.ts), used by
 * Jupyter's kernel provisioner (jupyterlab_ariel/provisioner.py):
 *   POST   /kernels             {path, accelerator, connectionFile, env} -> 201 {kernel: {id, image}}
 *   GET    /kernels/:id         -> {kernel: {id, image, exitCode}}; exitCode is null while it runs
 *   POST   /kernels/:id/signal  {signal: "SIGINT"}
 *   DELETE /kernels/:id         removes the container (also when it has exited)
 * A start that fails answers with the error and `explanation`, the lines Jupyter shows.
 */
/** The routes of the kernels API, for the companion server's app. */
export function kernelRoutes(kernels: KernelRegistry, root: string): Route[] {
  return [
    [
      'POST /kernels',
      /^\/kernels$/,
      async ({ request }) => {
        const body = await readJson(request);
        try {
          // Parsed inside the try: a bad request is explained to Jupyter as a failed start is.
          const start = {
            accelerator: parseAccelerator(body.accelerator),
            cwd: resolveFolder(root, body.path),
            connectionFile: body.connectionFile,
            env: body.env
          };
          return { status: 201, body: { kernel: await kernels.start(start) } };
        } catch (error) {
          return { status: statusOf(error), body: { ...errorBody(error), explanation: explainKernelFailure(error) } };
        }
      }
    ],
    [
      'GET /kernels/:id',
      /^\/kernels\/([^/]+)$/,
      // Kernels of the previous companion are known once taken over.
      async ({ params }) => {
        await kernels.adopted;
        return { body: { kernel: kernels.state(kernelId(params[0])) } };
      }
    ],
    [
      'POST /kernels/:id/signal',
      /^\/kernels\/([^/]+)\/signal$/,
      async ({ request, params }) => {
        await kernels.adopted;
        const id = kernelId(params[0]);
        await kernels.signal(id, (await readJson(request)).signal);
        return { body: { signalled: id } };
      }
    ],
    [
      'DELETE /kernels/:id',
      /^\/kernels\/([^/]+)$/,
      async ({ params }) => {
        await kernels.adopted;
        // An unknown kernel is a 404, as on GET: state() throws for it.
        const { id } = kernels.state(kernelId(params[0]));
        await kernels.remove(id);
        return { body: { removed: id } };
      }
    ]
  ];
}
