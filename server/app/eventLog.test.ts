import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { BuildService } from '../docker/build.js';
import { ArielError } from '../errors.js';
import type { History } from '../history/store.js';
import type { Submission, SubmissionMessage } from '../http/contract.js';
import { EventLogRegistry } from './eventLog.js';
import type { CloudPlan } from './cloud.js';
import { CloudSubmissions, type CloudRequest } from './submissions.js';

// The registry of background operations with their logs, driven by hand: no engine, no Vertex AI.

const settle = () => new Promise(resolve => setImmediate(resolve));

function registry(keepFinished = 3, logLines = 4) {
  return new EventLogRegistry<{ id: string }, string>({
    logLines,
    keepFinished,
    replaces: (last, next) => last.startsWith('step') && next.startsWith('step'),
    notFound: id => new ArielError('not-found', `No entry ${id}.`)
  });
}

describe('EventLogRegistry', () => {
  it('keeps only the newest finished entries, and every running one', async () => {
    const log = registry(3);
    let finish: () => void = () => undefined;
    const running = new Promise<void>(resolve => (finish = resolve));
    log.start('running', { id: 'running' }, async () => {
      await running;
      return ['end'];
    });
    for (let i = 0; i < 10; i++) {
      log.start(`done-${i}`, { id: `done-${i}` }, async () => ['end']);
    }
    await settle();
    assert.deepEqual(
      log.values().map(value => value.id),
      ['done-9', 'done-8', 'done-7', 'running']
    );
    assert.throws(() => log.get('done-0'), { code: 'not-found' });
    finish();
    await settle();
    assert.equal(log.values().length, 3, 'the entry that finished last counts among the kept');
  });

  it('replays the newest log lines, a replaced step once, then the last messages', async () => {
    const log = registry(3, 3);
    let publish: (message: string) => void = () => undefined;
    let finish: () => void = () => undefined;
    log.start('a', { id: 'a' }, async p => {
      publish = p;
      await new Promise<void>(resolve => (finish = resolve));
      return ['outcome', 'state'];
    });
    for (const message of ['one', 'step 1', 'step 2', 'two', 'three']) {
      publish(message);
    }
    const live: string[] = [];
    const { replay } = log.subscribe('a', message => live.push(message));
    assert.deepEqual(replay, ['step 2', 'two', 'three']);
    publish('four');
    finish();
    await settle();
    assert.deepEqual(live, ['four', 'outcome', 'state']);
    assert.deepEqual(log.subscribe('a', () => undefined).replay, ['two', 'three', 'four', 'outcome', 'state']);
  });
});

describe('CloudSubmissions', () => {
  const request: CloudRequest = {
    folder: '/nonexistent',
    target: 'train.py',
    args: [],
    experimentConfig: '',
    projectId: 'p',
    region: 'us-central1',
    machineType: 'n1-standard-4',
    labels: []
  };
  const app = { docker: {} as Docker, builds: new BuildService({} as Docker) };

  it('keeps the newest 20 finished submissions, not every one since the server started', async () => {
    let n = 0;
    const submissions = new CloudSubmissions(
      { app, history: async () => ({}) as History, connect: async () => assert.fail('no Vertex AI here') },
      {
        check: async () => ({ group: `g${++n}`, jobs: [], warnings: [] }) as unknown as CloudPlan,
        submit: async (_deps, plan) => ({ group: plan.group, created: 0, failed: 0, skipped: 0 })
      }
    );
    const started: Submission[] = [];
    for (let i = 0; i < 25; i++) {
      started.push(await submissions.start(request));
    }
    await settle();
    const listed = submissions.list();
    assert.equal(listed.length, 20);
    assert.deepEqual(
      listed.map(s => s.id),
      started
        .slice(5)
        .map(s => s.id)
        .reverse()
    );
    assert.throws(() => submissions.get(started[0].id), { code: 'not-found' });
    const replay: SubmissionMessage[] = submissions.subscribe(started[24].id, () => undefined).replay;
    assert.equal(replay.at(-1)?.type, 'state');
  });
});
