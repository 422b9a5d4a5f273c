import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { groupFixture, jobsFixture } from '../cloud/testing/fixtures.js';
import { loadSqlite } from './native.js';
import { History, NOT_SUBMITTED, SUBMITTING } from './store.js';

const group = groupFixture;
const jobs = jobsFixture;

describe('History', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-history-'));
  let history: History;
  before(async () => {
    history = await History.open(dir);
  });
  after(() => {
    history.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a group with its experiments and first jobs, and reads them back', () => {
    const recorded = history.recordGroup(group('g1'), jobs('g1', 2));
    assert.deepEqual(
      recorded.map(j => [j.experiment, j.attempt, j.state, j.args]),
      [
        [1, 1, SUBMITTING, ['--seed', '0']],
        [2, 1, SUBMITTING, ['--seed', '1']]
      ]
    );
    assert.deepEqual(history.group('g1')!.packages, { six: '1.16.0' });
    assert.equal(history.findJob('g1-2')!.id, recorded[1].id);
  });

  it('refuses a second group of the same name and leaves the first untouched', () => {
    assert.throws(() => history.recordGroup(group('g1'), jobs('g1', 5)), { code: 'cloud-spec-invalid' });
    assert.equal(history.jobs({ group: 'g1' }).length, 2);
  });

  it('writes nothing of a group whose recording fails half-way', () => {
    const broken = [...jobs('g2', 2), { ...jobs('g2', 1)[0], experiment: 2 }];
    assert.throws(() => history.recordGroup(group('g2'), broken));
    assert.equal(history.group('g2'), undefined);
    assert.equal(history.jobs({ group: 'g2' }).length, 0);
  });

  it('numbers resubmissions as further attempts of the same experiment', () => {
    const [first] = history.recordGroup(group('g3'), jobs('g3', 1));
    history.update(first.id, { state: 'JOB_STATE_FAILED', remoteName: 'projects/p/locations/r/customJobs/1' });
    const [second] = history.addAttempts('g3', [{ ...jobs('g3', 1)[0], requestId: 'g3-1-again' }]);
    assert.equal(second.attempt, 2);
    assert.deepEqual(
      history.jobs({ group: 'g3', latestOnly: true }).map(j => j.id),
      [second.id]
    );
    assert.equal(history.jobs({ group: 'g3' }).length, 2);
    assert.equal(history.findJob('projects/p/locations/r/customJobs/1')!.id, first.id);
    history.update(second.id, { state: NOT_SUBMITTED, error: 'quota' });
    assert.equal(history.job(second.id)!.error, 'quota');
    assert.equal(history.job(first.id)!.remoteName, 'projects/p/locations/r/customJobs/1');
  });

  it('changes a state only from the states a transition names, so a stop and a run cannot undo each other', () => {
    const [job] = history.recordGroup(group('g4'), jobs('g4', 1));
    assert.equal(history.transition(job.id, ['JOB_STATE_RUNNING'], { state: 'JOB_STATE_SUCCEEDED' }), false);
    assert.equal(history.job(job.id)!.state, SUBMITTING);
    assert.equal(history.transition(job.id, [SUBMITTING], { state: 'JOB_STATE_CANCELLED', error: 'stopped' }), true);
    assert.deepEqual([history.job(job.id)!.state, history.job(job.id)!.error], ['JOB_STATE_CANCELLED', 'stopped']);
    assert.deepEqual(history.jobs({ group: 'g4', unfinished: true }), []);
    assert.deepEqual(
      history.jobs({ group: 'g1', unfinished: true }).map(j => j.state),
      [SUBMITTING, SUBMITTING]
    );
  });

  it('names a missing group in its error', () => {
    assert.throws(() => history.requireGroup('nope'), {
      code: 'history-not-found',
      message: /No job group named nope/
    });
  });

  it("types each job by its group's platform, and reads a history written before jobs had pools", async () => {
    // Rows as an earlier Ariel wrote them: a Vertex AI job and a local one, specs without pools.
    const old = mkdtempSync(join(tmpdir(), 'ariel-history-old-'));
    (await History.open(old)).close();
    const Database = await loadSqlite();
    const db = new Database(join(old, 'history.sqlite3'));
    const now = '2026-11-01T00:00:00.000Z';
    const groupRow = db.prepare('INSERT INTO groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    groupRow.run(
      'cloudy',
      'vertex',
      '/demo',
      'trainer.train',
      'p',
      'us-central1',
      'r@sha256:1',
      'sha256:1',
      '',
      '{}',
      now
    );
    groupRow.run('homely', 'local', '/demo', 'trainer.train', null, null, 'demo:run', 'sha256:2', '', '{}', now);
    const cloudSpec = {
      index: 1,
      displayName: 'cloudy-1',
      command: ['python', '-m', 'trainer.train'],
      args: [],
      image: 'r@sha256:1',
      machineType: 'n1-standard-4',
      acceleratorType: null,
      acceleratorCount: 0,
      labels: {},
      serviceAccount: null,
      outputDirectory: null
    };
    const localSpec = {
      index: 1,
      displayName: 'homely-1',
      command: ['python', '-m', 'trainer.train'],
      args: [],
      image: 'demo:run'
    };
    for (const [name, spec] of [
      ['cloudy', cloudSpec],
      ['homely', localSpec]
    ] as const) {
      const { lastInsertRowid } = db
        .prepare('INSERT INTO experiments (group_name, idx, args) VALUES (?, 1, ?)')
        .run(name, '[]');
      db.prepare(
        `INSERT INTO jobs (experiment_id, attempt, request_id, spec, state, owner, created_at, updated_at)
         VALUES (?, 1, ?, ?, 'JOB_STATE_SUCCEEDED', 'h:1', ?, ?)`
      ).run(lastInsertRowid, `${name}-req`, JSON.stringify(spec), now, now);
    }
    db.close();
    const reopened = await History.open(old);
    try {
      const [cloudy] = reopened.jobs({ group: 'cloudy' });
      assert.equal(cloudy.platform, 'vertex');
      assert.equal(cloudy.platform === 'vertex' && cloudy.spec.machineType, 'n1-standard-4');
      assert.equal(cloudy.platform === 'vertex' && cloudy.spec.workers, undefined);
      const homely = reopened.findJob('homely-1')!;
      assert.equal(homely.platform, 'local');
      assert.equal(reopened.job(homely.id)!.platform, 'local');
      assert.deepEqual(homely.spec, localSpec);
    } finally {
      reopened.close();
      rmSync(old, { recursive: true, force: true });
    }
  });

  it("keeps a distributed job's pools", () => {
    const [planned] = jobs('g5', 1);
    const workers = { replicaCount: 2, machineType: 'n1-standard-8', acceleratorType: null, acceleratorCount: 0 };
    const [job] = history.recordGroup(group('g5'), [{ ...planned, spec: { ...planned.spec, workers } }]);
    const read = history.job(job.id)!;
    assert.equal(read.platform, 'vertex');
    assert.deepEqual(read.platform === 'vertex' && read.spec.workers, workers);
  });
});
