import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { stopJobs } from '../app/jobs.js';
import { History, NOT_SUBMITTED, SUBMITTING } from '../history/store.js';
import { refreshStates } from './jobs.js';
import { customJobMessage, type CloudJob } from './spec.js';
import { submitJobs } from './submit.js';
import { VertexEmulator } from './testing/emulator.js';
import { FIXTURE_PROJECT, FIXTURE_REGION, groupFixture, jobsFixture } from './testing/fixtures.js';
import { connectVertex, parentOf, type JobApi } from './vertex.js';

const PARENT = parentOf(FIXTURE_PROJECT, FIXTURE_REGION);

describe('submitJobs against the JobService emulator', () => {
  const emulator = new VertexEmulator();
  const dir = mkdtempSync(join(tmpdir(), 'ariel-history-'));
  let history: History;
  let api: JobApi;

  before(async () => {
    await emulator.start();
    history = await History.open(dir);
    api = await connectVertex('us-central1', { ARIEL_VERTEX_ENDPOINT: emulator.endpoint });
  });
  after(async () => {
    await api.close();
    history.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (group: string, count: number) => history.recordGroup(groupFixture(group), jobsFixture(group, count));

  it('creates one job per record with the planned spec, labels and args', async () => {
    const jobs = record('plain', 3);
    const result = await submitJobs(api, history, jobs, { parent: PARENT, concurrency: 2 });
    assert.equal(result.created.length, 3);
    const created = [...emulator.jobs.values()].filter(
      j => (j.request.labels as Record<string, string>)['ariel_group'] === 'plain'
    );
    assert.equal(created.length, 3);
    const second = created.find(j => (j.request.displayName as string) === 'plain-2')!;
    assert.deepEqual(second.request.labels, {
      seed: '1',
      team: 'vision',
      ariel_project: 'demo',
      ariel_group: 'plain',
      ariel_experiment: '2',
      ariel_request: 'plain-2-req'
    });
    const pool = (second.request.jobSpec as { workerPoolSpecs: Record<string, Record<string, unknown>>[] })
      .workerPoolSpecs[0];
    assert.deepEqual(pool.containerSpec.args, ['--seed', '1']);
    assert.deepEqual(pool.containerSpec.command, ['python', '-m', 'trainer.train']);
    assert.equal(pool.machineSpec.machineType, 'n1-standard-4');
    for (const job of history.jobs({ group: 'plain' })) {
      assert.match(job.remoteName!, /^projects\/test-project\/locations\/us-central1\/customJobs\/\d+$/);
      assert.equal(job.state, 'JOB_STATE_PENDING');
    }
  });

  it('retries quota and unavailable errors with backoff', async () => {
    const jobs = record('retried', 2);
    emulator.failNext('CreateCustomJob', 1, 8);
    emulator.failNext('CreateCustomJob', 1, 14);
    const events: string[] = [];
    const result = await submitJobs(api, history, jobs, {
      parent: PARENT,
      concurrency: 1,
      backoffMs: 10,
      onEvent: e => events.push(e.type)
    });
    assert.equal(result.created.length, 2);
    assert.deepEqual(events, ['retry', 'retry', 'created', 'created']);
  });

  it('finds the job a lost response created instead of creating it twice', async () => {
    const jobs = record('dropped', 1);
    emulator.dropNext('CreateCustomJob');
    const result = await submitJobs(api, history, jobs, { parent: PARENT, backoffMs: 10 });
    assert.equal(result.created.length, 1);
    const created = [...emulator.jobs.values()].filter(
      j => (j.request.labels as Record<string, string>)['ariel_group'] === 'dropped'
    );
    assert.equal(created.length, 1, 'exactly one job exists in the cloud');
    assert.equal(history.jobs({ group: 'dropped' })[0].remoteName, created[0].name);
  });

  it('records a job that fails for good and goes on with the others', async () => {
    const jobs = record('partial', 3);
    emulator.failNext('CreateCustomJob', 1, 3);
    const result = await submitJobs(api, history, jobs, { parent: PARENT, concurrency: 1 });
    assert.equal(result.failed.length, 1);
    assert.equal(result.created.length, 2);
    const states = history.jobs({ group: 'partial' }).map(j => j.state);
    assert.deepEqual(states, [NOT_SUBMITTED, 'JOB_STATE_PENDING', 'JOB_STATE_PENDING']);
    assert.match(history.jobs({ group: 'partial' })[0].error!, /INVALID_ARGUMENT|emulated/);
  });

  it('stops starting jobs once interrupted and records the rest as not submitted', async () => {
    const jobs = record('interrupted', 4);
    const abort = new AbortController();
    const result = await submitJobs(api, history, jobs, {
      parent: PARENT,
      concurrency: 1,
      signal: abort.signal,
      onEvent: e => e.type === 'created' && e.index === 2 && abort.abort()
    });
    assert.equal(result.created.length, 2);
    assert.equal(result.skipped.length, 2);
    assert.deepEqual(
      history.jobs({ group: 'interrupted' }).map(j => j.state),
      ['JOB_STATE_PENDING', 'JOB_STATE_PENDING', NOT_SUBMITTED, NOT_SUBMITTED]
    );
  });

  it('refreshes the states of a whole group with one list call', async () => {
    const jobs = record('polled', 5);
    await submitJobs(api, history, jobs, { parent: PARENT });
    const listed = emulator.calls.ListCustomJobs;
    const warnings = await refreshStates(
      history,
      region => connectVertex(region, { ARIEL_VERTEX_ENDPOINT: emulator.endpoint }),
      'polled'
    );
    assert.deepEqual(warnings, []);
    assert.equal(emulator.calls.ListCustomJobs, listed + 1);
    // Without an engine, the emulator moves a job one state on per read.
    assert.ok(history.jobs({ group: 'polled' }).every(j => j.state === 'JOB_STATE_RUNNING'));
  });

  it('stops a submission that died mid-way: cancels the job it created, the other was never submitted', async () => {
    // A submission killed (kill -9) after Vertex AI created job 1 but before the history recorded
    // it, and before job 2 was asked for: both rows are SUBMITTING, their owner (this process, to
    // the history) gone.
    const [first] = record('lost', 2);
    const created = await api.create(PARENT, customJobMessage(first.spec as unknown as CloudJob, first.requestId));
    assert.deepEqual(
      history.jobs({ group: 'lost' }).map(j => j.state),
      [SUBMITTING, SUBMITTING]
    );
    const connect = (region: string) => connectVertex(region, { ARIEL_VERTEX_ENDPOINT: emulator.endpoint });
    const outcome = await stopJobs({ history, docker: new Docker(), connect }, { group: 'lost' });
    assert.deepEqual(
      outcome.stopped.map(j => [j.experiment, j.remoteName]),
      [[1, created.name]]
    );
    assert.equal(emulator.jobs.get(created.name)!.state, 'JOB_STATE_CANCELLED');
    assert.deepEqual(
      outcome.ended.map(j => [j.experiment, j.state]),
      [[2, NOT_SUBMITTED]]
    );
    assert.deepEqual(outcome.submitting, []);
    assert.deepEqual(outcome.warnings, []);
  });
});
