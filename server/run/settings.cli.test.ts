/**
 * What `ariel run` and `ariel shell` containers may do, as the code inside them sees it:
 * confinement (no capabilities, no privilege gain, a pids limit) and the project's run-time
 * settings, read from inside the real containers the real CLI starts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { assertConfined, PROBE, probeIn } from '../testing/confinement.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';

describe('the containers of ariel run and ariel shell', () => {
  let project: string;
  const cli = (args: string[], stdin?: string) => runCli(args, { cwd: project, stdin });

  before(() => {
    project = tempProject({ 'requirements.txt': 'six\n', '.ariel.json': '{}\n', 'probe.py': PROBE }, 'runsettings');
  });

  after(() => {
    removeImagesOf(project);
    removeTempProjects();
  });

  it('run as root without capabilities, without privilege gain, and with the default pids limit', async () => {
    const run = await cli(['run', 'probe.py']);
    assert.equal(run.code, 0, run.stderr);
    assertConfined(probeIn(run.stdout), '4096');

    const shell = await cli(['shell'], 'python probe.py\n');
    assert.equal(shell.code, 0, shell.stderr);
    assertConfined(probeIn(shell.stdout), '4096');
  });

  it('take the pids limit from the project\'s "run" settings', async () => {
    writeFiles(project, { '.ariel.json': '{"run": {"pids_limit": 321}}\n' });
    const run = await cli(['run', 'probe.py']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(probeIn(run.stdout).pids, '321');
    const shell = await cli(['shell'], 'python probe.py\n');
    assert.equal(shell.code, 0, shell.stderr);
    assert.equal(probeIn(shell.stdout).pids, '321');
    writeFiles(project, { '.ariel.json': '{}\n' });
  });
});
