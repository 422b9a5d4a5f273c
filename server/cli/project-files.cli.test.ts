import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';

// Valid projects that used to break at build time or go stale: requirements that include other
// files, and a .dockerignore that excludes what the Dockerfile copies. Real builds on the engine.

const roots: string[] = [];

after(() => {
  removeImagesOf(...roots);
  removeTempProjects();
});

function lastLine(result: CliResult): string {
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  return result.stdout.trim().split('\n').pop()!;
}

describe('requirements.txt with includes, and a .dockerignore that excludes them', () => {
  it('builds and runs with -r and -c files, and rebuilds when an included file changes', async () => {
    const root = tempProject(
      {
        'requirements.txt': '-r reqs/base.txt\n-c constraints.txt\n',
        'reqs/base.txt': 'six\n',
        'constraints.txt': 'six>=1\n',
        'main.py': 'import six\nprint("six", six.__version__)\n',
        // Excludes every dependency file; the Dockerfile copies them anyway.
        '.dockerignore': '*\n!main.py\n'
      },
      `includes-${randomBytes(4).toString('hex')}`
    );
    roots.push(root);
    const first = lastLine(await runCli(['build', '--mode', 'run'], { cwd: root }));
    const run = await runCli(['run', 'main.py'], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /six \d+\./);

    writeFiles(root, { 'reqs/base.txt': 'six\n# pinned later\n' });
    const rebuilt = await runCli(['build', '--mode', 'run'], { cwd: root });
    const second = lastLine(rebuilt);
    assert.notEqual(second, first, 'editing an included requirements file did not give a new image');
    assert.ok(rebuilt.stderr.includes(`Built ${second}`), `the edited project was not built:\n${rebuilt.stderr}`);
    // The new image is there, and the next run uses it.
    const again = await runCli(['run', 'main.py'], { cwd: root });
    assert.equal(again.code, 0, again.stderr);
    assert.ok(again.stderr.includes(`Image is up to date: ${second}`), again.stderr);
  });
});
