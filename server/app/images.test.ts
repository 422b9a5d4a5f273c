import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { ArielError } from '../errors.js';
import { BuildService } from '../docker/build.js';
import { LABELS } from '../docker/labels.js';
import { findProject, imageNameOf } from '../project/project.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import type { AppDeps } from './deps.js';
import { imageFor, listImages, pruneImages, removeImage } from './images.js';

after(removeTempProjects);

/** An engine that knows some images and records removals; a 409 for names in `inUse`. */
function fakeEngine(summaries: Partial<Docker.ImageInfo>[], inUse: string[] = []) {
  const removed: string[] = [];
  const filters: unknown[] = [];
  const find = (name: string) => summaries.find(s => s.RepoTags?.includes(name));
  const docker = {
    // No containers: prune's removal of warm-pool spares runs on the real engine in http/app.engine.test.ts.
    listContainers: async () => [],
    listImages: async (options: { filters: unknown }) => {
      filters.push(options.filters);
      return summaries.map(s => ({ Size: 1000, Created: 1_700_000_000, Labels: {}, ...s }));
    },
    // Ariel encodes path parts (enginePathPart); the engine decodes them, as this fake does.
    getImage: (part: string) => {
      const name = decodeURIComponent(part);
      return {
        inspect: async () => {
          const found = find(name);
          if (!found) {
            throw Object.assign(new Error('no such image'), { statusCode: 404 });
          }
          return { Config: { Labels: found.Labels ?? {} } };
        },
        remove: async () => {
          if (inUse.includes(name)) {
            throw Object.assign(new Error('conflict'), { statusCode: 409, json: { message: 'image is being used' } });
          }
          removed.push(name);
        }
      };
    }
  } as unknown as Docker;
  const deps: AppDeps = { docker, builds: new BuildService(docker), env: {} };
  return { deps, removed, filters };
}

describe('image listing and pruning', () => {
  const root = tempProject({ 'requirements.txt': 'numpy\n', 'train.py': 'print(1)\n' }, 'prune-unit');
  const repository = imageNameOf({ root });
  const labels = (mode: string) => ({ [LABELS.project]: root, [LABELS.mode]: mode, [LABELS.accelerator]: 'cpu' });

  async function engineWithHistory(inUse: string[] = []) {
    const probe = fakeEngine([]);
    const project = findProject(root);
    const current = (await imageFor(probe.deps, { project, mode: 'notebook', accelerator: 'cpu' })).name;
    const engine = fakeEngine(
      [
        { Id: 'current', RepoTags: [current], Labels: labels('notebook') },
        { Id: 'old-notebook', RepoTags: [`${repository}:notebook-cpu-000000000000`], Labels: labels('notebook') },
        { Id: 'old-run', RepoTags: [`${repository}:run-cpu-111111111111`], Labels: labels('run') },
        // A project whose folder is gone: whether its images are current cannot be told.
        {
          Id: 'gone',
          RepoTags: ['ariel/gone:run-cpu-222222222222'],
          Labels: { [LABELS.project]: '/nonexistent/gone', [LABELS.mode]: 'run' }
        },
        // Tags that are not Ariel's, on an image that carries Ariel's labels.
        { Id: 'retagged', RepoTags: ['my/own:latest', 'ariel/elsewhere:run-cpu-333333333333'], Labels: labels('run') }
      ],
      inUse
    );
    return { ...engine, current };
  }

  it("marks each of Ariel's tags current or not, and leaves other tags out", async () => {
    const { deps, current } = await engineWithHistory();
    const images = await listImages(deps);
    assert.deepEqual(
      images.map(i => [i.name, i.current]),
      [
        ['ariel/gone:run-cpu-222222222222', null],
        [current, true],
        [`${repository}:notebook-cpu-000000000000`, false],
        [`${repository}:run-cpu-111111111111`, false]
      ]
    );
    assert.equal(images[1].mode, 'notebook');
    assert.equal(images[1].created, new Date(1_700_000_000_000).toISOString());
  });

  it('asks the engine for one project only when given one', async () => {
    const { deps, filters } = await engineWithHistory();
    await listImages(deps, { project: root });
    await listImages(deps);
    assert.deepEqual(filters, [{ label: [`${LABELS.project}=${root}`] }, { label: [LABELS.project] }]);
  });

  it('prunes the stale tags only, and only says so with dryRun', async () => {
    const dry = await engineWithHistory();
    const planned = await pruneImages(dry.deps, { dryRun: true });
    assert.deepEqual(
      planned.removed.map(i => i.name),
      [`${repository}:notebook-cpu-000000000000`, `${repository}:run-cpu-111111111111`]
    );
    assert.deepEqual(dry.removed, []);

    const real = await engineWithHistory([`${repository}:run-cpu-111111111111`]);
    const result = await pruneImages(real.deps);
    assert.deepEqual(real.removed, [`${repository}:notebook-cpu-000000000000`]);
    assert.deepEqual(
      result.failed.map(f => [f.image.name, f.error.code]),
      [[`${repository}:run-cpu-111111111111`, 'image-in-use']]
    );
  });

  it('refuses to remove an image that is not one of Ariel’s', async () => {
    const { deps, removed } = fakeEngine([
      { Id: 'plain', RepoTags: ['python:3.11-slim'] },
      { Id: 'lookalike', RepoTags: ['ariel/x:run-cpu-444444444444'] }
    ]);
    for (const name of ['python:3.11-slim', 'ariel/x:run-cpu-444444444444', 'ariel/x:run-cpu-555555555555']) {
      await assert.rejects(
        removeImage(deps, name),
        (error: unknown) => error instanceof ArielError && error.code === 'not-found',
        name
      );
    }
    assert.deepEqual(removed, []);
  });
});
