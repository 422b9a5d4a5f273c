import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppListener } from './events.js';
import type { BuildResult } from '../docker/build.js';
import { ImageRef } from '../docker/imageRef.js';
import { CancelledError } from '../errors.js';
import { BuildRegistry, type BuildMessage, type Prepare } from './builds.js';

// The registry's bookkeeping, with a build that is driven by hand instead of by Docker.

interface FakeBuild {
  emit: AppListener;
  finish(result?: BuildResult): void;
  fail(error: Error): void;
  signal: AbortSignal;
}

const image = (hash: string) => ImageRef.of('ariel/p', 'notebook', 'cpu', hash.repeat(12));

/** Builds that the test drives by hand: `builds[i]` is the i-th started. */
function fakePrepare(): { builds: FakeBuild[]; prepare: Prepare } {
  const builds: FakeBuild[] = [];
  return {
    builds,
    prepare: ({ onEvent, signal }) =>
      new Promise<BuildResult>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new CancelledError('Build cancelled.')));
        builds.push({
          emit: onEvent,
          finish: r => resolve(r ?? { image: image('f'), reused: false }),
          fail: reject,
          signal
        });
      })
  };
}

const settle = () => new Promise(resolve => setImmediate(resolve));

describe('BuildRegistry', () => {
  it('shares one running build per image, and starts another for another image', () => {
    const { builds, prepare } = fakePrepare();
    const registry = new BuildRegistry({ logLines: 10 });
    const first = registry.start(image('a'), 'p', prepare);
    assert.equal(registry.start(image('a'), 'p', prepare).id, first.id);
    assert.notEqual(registry.start(image('b'), 'p', prepare).id, first.id);
    assert.equal(builds.length, 2);
  });

  it('replays only the last log lines to a late subscriber, then streams live up to the final state', async () => {
    const { builds, prepare } = fakePrepare();
    const registry = new BuildRegistry({ logLines: 3 });
    const { id } = registry.start(image('a'), 'p', prepare);
    builds[0].emit({ type: 'step', index: 1, total: 2, instruction: 'FROM base' });
    for (const line of ['a', 'b', 'c']) {
      builds[0].emit({ type: 'output', line });
    }
    const live: BuildMessage[] = [];
    const { replay } = registry.subscribe(id, message => live.push(message));
    assert.deepEqual(
      replay.map(m => (m.type === 'output' ? m.line : m.type)),
      ['a', 'b', 'c', 'state'],
      'the step fell out of a 3-line log'
    );
    const last = replay.at(-1);
    assert.equal(last?.type === 'state' && last.build.step?.instruction, 'FROM base');

    builds[0].emit({ type: 'step', index: 2, total: 2, instruction: 'RUN x' });
    builds[0].emit({ type: 'check', check: 'engine' });
    builds[0].emit({ type: 'done', image: image('a').name, reused: false });
    builds[0].finish();
    await settle();
    assert.deepEqual(
      live.map(m => m.type),
      ['step', 'done', 'state']
    );
    const final = live.at(-1)!;
    assert.ok(final.type === 'state' && final.build.state === 'succeeded' && final.build.finishedAt);
    assert.equal(registry.get(id).state, 'succeeded');

    // After the end, a subscriber gets the log, the outcome and the final state, and nothing live.
    const afterwards = registry.subscribe(id, () => assert.fail('a finished build sends nothing live'));
    assert.deepEqual(
      afterwards.replay.map(m => m.type),
      ['output', 'output', 'step', 'done', 'state']
    );
  });

  it('cancels: the build is aborted, its state is cancelled and the error says so', async () => {
    const { builds, prepare } = fakePrepare();
    const registry = new BuildRegistry({ logLines: 10 });
    const { id } = registry.start(image('a'), 'p', prepare);
    const cancelled = await registry.cancel(id);
    assert.ok(builds[0].signal.aborted);
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.error?.code, 'cancelled');
    // The image can be built again afterwards.
    assert.notEqual(registry.start(image('a'), 'p', prepare).id, id);
  });

  it('reports a failure with its code; an unexpected error is "internal"', async () => {
    const { builds, prepare } = fakePrepare();
    const registry = new BuildRegistry({ logLines: 10 });
    const { id } = registry.start(image('a'), 'p', prepare);
    builds[0].fail(new TypeError('boom'));
    await settle();
    assert.deepEqual(registry.get(id).error, { code: 'internal', message: 'boom' });
    assert.equal(registry.get(id).state, 'failed');
  });

  it('forgets the oldest finished builds beyond the limit, newest listed first', async () => {
    const { builds, prepare } = fakePrepare();
    const registry = new BuildRegistry({ logLines: 10, keepFinished: 2 });
    const ids = ['a', 'b', 'c'].map(tag => registry.start(image(tag), 'p', prepare).id);
    const running = registry.start(image('d'), 'p', prepare).id;
    builds.slice(0, 3).forEach(build => build.finish());
    await settle();
    assert.deepEqual(
      registry.list().map(b => b.id),
      [running, ids[2], ids[1]]
    );
    assert.throws(() => registry.get(ids[0]), { code: 'not-found' });
  });
});
