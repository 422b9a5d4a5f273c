import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { expandExperiments, experimentArgs } from './expand.js';

/** The command lines of every job, as a user would see them. */
function argv(config: unknown): string[][] {
  return expandExperiments(config).map(experimentArgs);
}

/** Asserts an ArielError whose message contains every fragment. */
function assertArielError(config: unknown, ...fragments: string[]): void {
  assert.throws(
    () => expandExperiments(config),
    (error: unknown) => {
      assert.ok(error instanceof ArielError, `expected an ArielError, got ${String(error)}`);
      for (const fragment of fragments) {
        assert.ok(
          error.message.includes(fragment),
          `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`
        );
      }
      return true;
    }
  );
}

describe('expandExperiments (Caliban semantics)', () => {
  it('takes the cartesian product of list values, first key varying slowest', () => {
    assert.deepEqual(argv({ a: [1, 2], b: ['x', 'y', 'z'] }), [
      ['--a', '1', '--b', 'x'],
      ['--a', '1', '--b', 'y'],
      ['--a', '1', '--b', 'z'],
      ['--a', '2', '--b', 'x'],
      ['--a', '2', '--b', 'y'],
      ['--a', '2', '--b', 'z']
    ]);
  });

  it('counts a scalar as a single value', () => {
    assert.deepEqual(argv({ lr: [0.1, 0.01], epochs: 3, name: 'run' }), [
      ['--lr', '0.1', '--epochs', '3', '--name', 'run'],
      ['--lr', '0.01', '--epochs', '3', '--name', 'run']
    ]);
  });

  it('concatenates the expansions of a list of dicts', () => {
    assert.deepEqual(argv([{ a: [1, 2] }, { b: 3 }, { a: 4, c: [5, 6] }]), [
      ['--a', '1'],
      ['--a', '2'],
      ['--b', '3'],
      ['--a', '4', '--c', '5'],
      ['--a', '4', '--c', '6']
    ]);
  });

  it('turns true into a bare flag and leaves false out', () => {
    assert.deepEqual(argv({ verbose: true, debug: false, n: 1 }), [['--verbose', '--n', '1']]);
    assert.deepEqual(argv({ flag: [true, false] }), [['--flag'], []]);
  });

  it('varies the keys of a compound key together', () => {
    assert.deepEqual(
      argv({
        '[a,b]': [
          [1, 2],
          [3, 4]
        ],
        c: [5, 6]
      }),
      [
        ['--a', '1', '--b', '2', '--c', '5'],
        ['--a', '1', '--b', '2', '--c', '6'],
        ['--a', '3', '--b', '4', '--c', '5'],
        ['--a', '3', '--b', '4', '--c', '6']
      ]
    );
    // Spaces around the names are allowed, and a single tuple is one alternative.
    assert.deepEqual(argv({ '[ x , y ]': [7, 'seven'] }), [['--x', '7', '--y', 'seven']]);
  });

  it('yields no job for an empty list, and one job without flags for {}', () => {
    assert.deepEqual(expandExperiments({ a: [1, 2], b: [] }), []);
    assert.deepEqual(expandExperiments({ '[a,b]': [] }), []);
    assert.deepEqual(expandExperiments([]), []);
    assert.deepEqual(expandExperiments({}), [[]]);
    assert.deepEqual(argv({}), [[]]);
    assert.deepEqual(argv([{}, { a: 1 }]), [[], ['--a', '1']]);
  });

  it('keeps the config key order in the arguments', () => {
    assert.deepEqual(argv({ zeta: 1, alpha: 2, mid: 3 }), [['--zeta', '1', '--alpha', '2', '--mid', '3']]);
    assert.deepEqual(argv({ '[b,a]': [[1, 2]], c: 3 }), [['--b', '1', '--a', '2', '--c', '3']]);
  });

  it('keeps keys that already start with a dash as they are', () => {
    assert.deepEqual(argv({ '-v': true, '--seed': 1 }), [['-v', '--seed', '1']]);
  });

  it('rejects nested objects and null, naming the key', () => {
    assertArielError({ ok: 1, optimizer: { name: 'adam' } }, '"optimizer"');
    assertArielError({ lr: [0.1, { x: 1 }] }, '"lr"');
    assertArielError({ seed: null }, '"seed"', 'null');
    assertArielError({ lr: [[0.1, 0.2]] }, '"lr"');
  });

  it('rejects compound tuples of the wrong length, naming the key', () => {
    assertArielError({ '[a,b]': [[1, 2], [3]] }, '"[a,b]"', '2 values');
    assertArielError({ '[a,b]': [[1, 2, 3]] }, '"[a,b]"');
    assertArielError({ '[a,b]': [[1, { x: 1 }]] }, '"[a,b]"');
    assertArielError({ '[a,]': [[1, 2]] }, '"[a,]"');
  });

  it('rejects a top level that is not an object or a list of objects', () => {
    for (const config of [42, 'lr=1', null, true]) {
      assertArielError(config, 'neither an object nor a list of objects');
    }
    assertArielError([{ a: 1 }, 3], 'item 1');
  });

  it('names the config in its errors', () => {
    assert.throws(() => expandExperiments({ a: null }, 'experiments.json'), /^ArielError: experiments\.json: key "a"/);
    assert.throws(
      () => expandExperiments([{ a: 1 }, { b: {} }], 'exp.json'),
      (error: Error) => /exp\.json \[1\].*"b"/.test(error.message)
    );
  });
});
