import { addDriftToProject, imageRecord, kernelDrift, type AppDeps } from '../app/index.js';
import { ArielError } from '../errors.js';
import { findProject } from '../project/project.js';
import type { Route } from './routes.js';
import { relativeTo, resolveFolder } from './project.js';
import { imageReference } from './ids.js';
import { readJson } from './respond.js';

/**
 * What images record and how running kernels drifted from them:
 * - `GET /images/{reference}/record`: the packages and the Dockerfile as built; for an outdated
 *   image, the Dockerfile its request generates now and the difference;
 * - `GET /kernels/drift[?path=]`: per running container kernel, what differs from its image;
 * - `POST /kernels/drift/add` `{path, container}`: pinned lines for what that kernel installed,
 *   appended to the project's requirements.txt (or, for a pyproject-only project, answered).
 * Listed before the kernel routes, whose `/kernels/{id}` would take `drift` for an id.
 */
export function driftRoutes(app: AppDeps, root: string): Route[] {
  const relative = (path: string | undefined) => (path === undefined ? undefined : relativeTo(root, path));
  return [
    [
      'GET /images/:reference/record',
      /^\/images\/([^/]*)\/record$/,
      async ({ params }) => {
        const record = await imageRecord(app, imageReference(params[0]));
        return { body: { ...record, packageCount: record.packages.length } };
      }
    ],
    [
      'GET /kernels/drift',
      /^\/kernels\/drift$/,
      async ({ url }) => {
        const path = url.searchParams.get('path');
        const project = path === null ? undefined : findProject(resolveFolder(root, path)).root;
        const kernels = await kernelDrift(app, { project });
        return { body: { kernels: kernels.map(k => ({ ...k, project: relative(k.project) })) } };
      }
    ],
    [
      'POST /kernels/drift/add',
      /^\/kernels\/drift\/add$/,
      async ({ request }) => {
        const body = await readJson(request);
        if (typeof body.container !== 'string' || body.container === '') {
          throw new ArielError(
            'usage',
            '"container" must name the kernel container (its id or name).',
            'Take it from GET /kernels/drift.'
          );
        }
        const project = findProject(resolveFolder(root, body.path));
        return { body: await addDriftToProject(app, { project, container: body.container }) };
      }
    ]
  ];
}
