/**
 * The Jobs list's log view asks the companion server for a local job's kept log, part by part,
 * while the job runs: the real server (its bundle) on a job history in a temporary folder.
 * It needs no Docker engine, but the built bundle, which the engine tier's set-up provides.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { groupFixture, jobsFixture } from '../cloud/testing/fixtures.js';
import { logFile } from '../history/logs.js';
import { History } from '../history/store.js';
import { Companion } from '../testing/companion.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import type { JobLog } from './contract.js';

describe("GET /cloud/jobs/:id/log follows a local job's log", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  const previous = process.env.ARIEL_DATA_DIR;
  let companion: Companion;
  let history: History;
  const write = (text: string) => {
    const file = logFile(dataDir, 'live', 1);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, text);
  };
  before(async () => {
    process.env.ARIEL_DATA_DIR = dataDir;
    history = await History.open(dataDir);
    companion = new Companion(tempProject({}));
    await companion.start();
  });
  after(async () => {
    await companion.stop();
    history.close();
    process.env.ARIEL_DATA_DIR = previous;
    if (previous === undefined) {
      delete process.env.ARIEL_DATA_DIR;
    }
    rmSync(dataDir, { recursive: true, force: true });
    removeTempProjects();
  });

  it('answers whole lines while the job runs, the rest once it ended', async () => {
    // Recorded by this process, which stays alive: to the server, a run still running.
    const [job] = history.recordGroup(
      { ...groupFixture('live'), platform: 'local', cloudProject: null, region: null },
      jobsFixture('live', 1)
    );
    history.update(job.id, { state: 'JOB_STATE_RUNNING' });
    write('step 1\nstep 2 half');
    const first = await companion.request<JobLog>('GET', `/cloud/jobs/${job.id}/log?offset=0`);
    assert.equal(first.status, 200);
    assert.equal(first.body.text, 'step 1\n');
    assert.equal(first.body.final, false);
    assert.equal(first.body.job, 'live-1');

    write(' done\nstep 3\n');
    const second = await companion.request<JobLog>('GET', `/cloud/jobs/${job.id}/log?offset=${first.body.offset}`);
    assert.equal(second.body.text, 'step 2 half done\nstep 3\n');
    assert.equal(second.body.final, false);

    write('bye');
    history.update(job.id, { state: 'JOB_STATE_SUCCEEDED' });
    const last = await companion.request<JobLog>('GET', `/cloud/jobs/${job.id}/log?offset=${second.body.offset}`);
    assert.equal(last.body.text, 'bye');
    assert.equal(last.body.final, true);
    assert.equal(last.body.state, 'JOB_STATE_SUCCEEDED');
  });

  it('refuses an offset that is not a number, and names a job it does not know', async () => {
    const bad = await companion.request<{ code: string; hint: string }>('GET', '/cloud/jobs/1/log?offset=-3');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'usage');
    const unknown = await companion.request<{ code: string; message: string }>('GET', '/cloud/jobs/4242/log');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /4242/);
  });
});
