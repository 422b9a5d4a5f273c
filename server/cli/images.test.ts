import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImageInfo } from '../app/index.js';
import { imageNameOf } from '../project/project.js';
import { runCli, type CliResult } from '../testing/cli.js';
import { danglingImages, imagesOf, removeDanglingSince, removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

// `ariel images` and `ariel prune` on the real engine. Other suites build and remove images
// at the same time, so every command here names its project: a bare `ariel prune` would
// prune theirs too.

const started = Date.now();
const danglingBefore = danglingImages();

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

async function ariel(...args: string[]): Promise<string> {
  const result = await runCli(args);
  assert.equal(result.code, 0, show(result));
  return result.stdout;
}

function exists(image: string): boolean {
  return spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;
}

function project(kind: string): string {
  return tempProject(
    { 'requirements.txt': '', 'train.py': 'print("version 1")\n' },
    `ariel-prune-${kind}-${randomBytes(3).toString('hex')}`
  );
}

/** Builds the run image, edits the code and builds again: [stale, current]. */
async function twoVersions(root: string): Promise<[string, string]> {
  const first = (await ariel('build', '--mode', 'run', '--project', root)).trim();
  appendFileSync(join(root, 'train.py'), 'print("version 2")\n');
  const second = (await ariel('build', '--mode', 'run', '--project', root)).trim();
  assert.notEqual(first, second);
  return [first, second];
}

describe('ariel images and ariel prune', () => {
  const a = project('a');
  const b = project('b');
  // Looks like one of Ariel's tags in A's repository, but is not an image Ariel built.
  const foreign = `${imageNameOf({ root: a })}:run-cpu-000000000000`;
  let staleA: string, currentA: string, staleB: string, currentB: string;

  before(async () => {
    [staleA, currentA] = await twoVersions(a);
    [staleB, currentB] = await twoVersions(b);
    execFileSync('docker', ['tag', process.env.ARIEL_BASE_IMAGE_CPU!, foreign]);
  });

  after(() => {
    try {
      removeImagesOf(a, b);
      removeDanglingSince(started, danglingBefore);
    } finally {
      removeTempProjects();
    }
  });

  it('lists a project’s images, newest first, saying which is current', async () => {
    const images = JSON.parse(await ariel('images', '--project', a, '--json')) as ImageInfo[];
    assert.deepEqual(
      images.map(i => [i.name, i.mode, i.accelerator, i.project, i.current]),
      [
        [currentA, 'run', 'cpu', a, true],
        [staleA, 'run', 'cpu', a, false]
      ]
    );
    assert.ok(images.every(i => i.size > 0 && !Number.isNaN(Date.parse(i.created))));

    const table = await ariel('images', '--project', a);
    assert.match(table, /^IMAGE +MODE +ACCELERATOR +SIZE +CREATED +CURRENT +PROJECT$/m);
    assert.match(table, new RegExp(`^${currentA} +run +cpu +[0-9.]+ [kMG]?B +.+ ago +yes +${a}$`, 'm'));
    assert.match(table, new RegExp(`^${staleA} .* no +${a}$`, 'm'));
    assert.doesNotMatch(table, /run-cpu-000000000000/);
  });

  it('with --dry-run, says what it would remove and removes nothing', async () => {
    assert.equal(await ariel('prune', '--project', a, '--dry-run'), `Would remove ${staleA}\n`);
    assert.ok(exists(staleA));
  });

  it("removes the project's stale image only: not its current one, another project's, or a non-Ariel image", async () => {
    assert.equal(await ariel('prune', '--project', a), `Removed ${staleA}\n`);
    assert.ok(!exists(staleA), 'the stale image is gone');
    for (const kept of [currentA, staleB, currentB, foreign]) {
      assert.ok(exists(kept), `${kept} is kept`);
    }
    assert.deepEqual(imagesOf(a).sort(), [currentA, foreign].sort());

    const again = await runCli(['prune', '--project', a]);
    assert.equal(again.code, 0, show(again));
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /No stale images/);
  });
});
