import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { LABELS } from '../docker/labels.js';
import { createAppDeps } from './deps.js';
import { listContainers, stopContainer } from './containers.js';

// On the real engine. Other tests run containers at the same time: this one only ever
// looks at containers carrying its own project label, or at the ids it created.

const image = process.env.ARIEL_BASE_IMAGE_CPU;
const project = `/nonexistent/ariel-containers-test-${randomBytes(4).toString('hex')}`;
const created: string[] = [];

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** A sleeping container, with Ariel's labels when a role is given. */
function sleeper(role?: string): string {
  const labels = role ? ['--label', `${LABELS.role}=${role}`, '--label', `${LABELS.project}=${project}`] : [];
  const id = docker('run', '-d', '--init', ...labels, image!, 'sleep', '300');
  created.push(id);
  return id;
}

after(() => {
  spawnSync('docker', ['rm', '--force', ...created], { stdio: 'ignore' });
});

describe(
  "Ariel's containers on the engine",
  { skip: !image && 'needs ARIEL_BASE_IMAGE_CPU (scripts/lib/setup.sh)' },
  () => {
    const deps = createAppDeps();

    it('lists them by project and role, and stops one, leaving the others', async () => {
      const run = sleeper('run');
      const shell = sleeper('shell');
      const listed = await listContainers(deps, { project });
      assert.deepEqual(listed.map(c => c.id).sort(), [run, shell].sort());
      const runInfo = listed.find(c => c.id === run)!;
      assert.equal(runInfo.role, 'run');
      assert.equal(runInfo.project, project);
      assert.equal(runInfo.state, 'running');
      assert.deepEqual(
        (await listContainers(deps, { project, role: 'shell' })).map(c => c.id),
        [shell]
      );

      await stopContainer(deps, run);
      assert.deepEqual(
        (await listContainers(deps, { project })).map(c => c.id),
        [shell]
      );
      assert.equal(spawnSync('docker', ['inspect', run], { stdio: 'ignore' }).status, 1, 'the container is removed');
    });

    it('refuses to stop a container that is not Ariel’s, and one that does not exist', async () => {
      const foreign = sleeper();
      for (const id of [foreign, 'ariel-no-such-container']) {
        await assert.rejects(
          stopContainer(deps, id),
          (error: unknown) => error instanceof ArielError && error.code === 'not-found',
          id
        );
      }
      assert.equal(docker('inspect', '--format', '{{.State.Running}}', foreign), 'true');
      assert.ok(!(await listContainers(deps)).some(c => c.id === foreign), 'only labelled containers are listed');
    });
  }
);
