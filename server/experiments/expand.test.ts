import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { JsonNumber, parseJsoncExact, type JsonValue } from '../project/jsonc.js';
import { expandExperiments, experimentArgs, pythonNumber, type ExpandOptions } from './expand.js';

/** A config as the reader gives it: from JSON text, or from a value written as JSON. */
function config(source: unknown): JsonValue {
  const text = typeof source === 'string' ? source : JSON.stringify(source);
  return parseJsoncExact(text, 'exp.json', { hashComments: true }).value;
}

/** The command lines of every job, as a user would see them. */
function argv(source: unknown, options?: ExpandOptions): string[][] {
  return expandExperiments(config(source), options).map(experimentArgs);
}

/** Asserts an ArielError whose message contains every fragment. */
function assertArielError(source: unknown, ...fragments: string[]): void {
  assertError('experiment-config-invalid', source, ...fragments);
}

function assertError(code: string, source: unknown, ...fragments: string[]): void {
  assert.throws(
    () => expandExperiments(config(source), { where: 'exp.json' }),
    (error: unknown) => {
      assert.ok(error instanceof ArielError, `expected an ArielError, got ${String(error)}`);
      assert.equal(error.code, code);
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
    assert.deepEqual(argv({ a: [1, 2], b: [] }), []);
    assert.deepEqual(argv({ '[a,b]': [] }), []);
    assert.deepEqual(argv([]), []);
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

  it('rejects nested objects, nested lists and null, naming the key', () => {
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
    assertArielError({ '[a,b]': 3 }, '"[a,b]"', 'the value 3');
    assertArielError({ '[a,b]': [[1, 2], 3] }, '"[a,b]"', 'the value 3');
  });

  it('rejects a top level that is not an object or a list of objects', () => {
    for (const config of ['42', '"lr=1"', 'null', 'true']) {
      assertArielError(config, 'neither an object nor a list of objects');
    }
    assertArielError([{ a: 1 }, 3], 'exp.json [1]', 'the value 3');
    assertArielError([{ a: 1 }, [{ b: 2 }, 'x']], 'exp.json [1] [1]', 'the value "x"');
  });

  it('names the config in its errors', () => {
    assert.throws(
      () => expandExperiments(config({ a: null }), { where: 'experiments.json' }),
      /^ArielError: experiments\.json: key "a"/
    );
    assert.throws(
      () => expandExperiments(config([{ a: 1 }, { b: {} }]), { where: 'exp.json' }),
      (error: Error) => /exp\.json \[1\].*"b"/.test(error.message)
    );
  });

  it('passes numbers as Python writes them: floats keep their form, integers their digits', () => {
    assert.deepEqual(argv('{"a": [1.0, 2, 1e3, 1.5e-05, 0.1, -2.50, 12345678901234567890123]}'), [
      ['--a', '1.0'],
      ['--a', '2'],
      ['--a', '1000.0'],
      ['--a', '1.5e-05'],
      ['--a', '0.1'],
      ['--a', '-2.5'],
      ['--a', '12345678901234567890123']
    ]);
    assert.deepEqual(argv('{"[a,b]": [[1.0, 0]]}'), [['--a', '1.0', '--b', '0']]);
  });

  it('rejects a NUL character in a value, which no command line can carry', () => {
    assertArielError({ name: ['ok', 'a\0b'] }, 'key "name"', 'NUL');
  });

  it('passes strings as they are', () => {
    assert.deepEqual(argv({ name: 'a b', empty: '', quote: '"x"' }), [
      ['--name', 'a b', '--empty', '', '--quote', '"x"']
    ]);
  });

  it('flattens lists of lists of configs, as Caliban does', () => {
    assert.deepEqual(argv([{ a: 1 }, [{ b: 2 }, [{ c: 3 }, []]], []]), [
      ['--a', '1'],
      ['--b', '2'],
      ['--c', '3']
    ]);
  });

  it('rejects keys Caliban rejects, and names that make no flag, naming the key', () => {
    for (const key of [
      '[',
      'eh[',
      ']a,b]',
      '[test,,fail]',
      '[,a]',
      '[a,b,]',
      'a b',
      'a,b',
      '',
      ' a',
      '[]',
      '--',
      '-',
      '[a, -]',
      'a\0b'
    ]) {
      assertArielError({ [key]: 0 }, `key ${JSON.stringify(key)} is not a valid key`);
    }
    // Caliban's own valid forms.
    assert.deepEqual(argv({ '[batch_size , learning_rate]': [[0.5, 1]] }), [
      ['--batch_size', '0.5', '--learning_rate', '1']
    ]);
  });

  it('rejects two keys of an object that set the same flag', () => {
    assertArielError('{"a": 1, "[a,b]": [[2, 3]]}', 'key "[a,b]" sets the flag "a", which key "a" also sets');
    assertArielError('{"[a,b]": [[2, 3]], "[b,c]": [[4, 5]]}', 'key "[b,c]" sets the flag "b"');
    assertArielError('{"[a,a]": [[2, 3]]}', 'names the flag "a" twice');
    // In different objects of a list the same flag is fine.
    assert.deepEqual(argv([{ a: 1 }, { '[a,b]': [[2, 3]] }]), [
      ['--a', '1'],
      ['--a', '2', '--b', '3']
    ]);
  });

  it('counts the jobs before expanding and refuses more than the limit, with the count', () => {
    const huge = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`k${i}`, Array.from({ length: 10 }, (_, j) => j)])
    );
    assertError('too-many-jobs', huge, 'expands to 100000000000000000000 jobs, more than the limit of 10000');
    assertError('too-many-jobs', [huge, huge], 'expands to 200000000000000000000 jobs');
    const endless = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, [1, 2, 3, 4, 5]]));
    assertError('too-many-jobs', endless, 'more than 10^30 jobs');
    // An empty list makes the product 0, however large the rest.
    assert.deepEqual(argv({ ...huge, none: [] }), []);
    assert.equal(argv({ a: [1, 2, 3], b: [1, 2] }, { maxJobs: 6 }).length, 6);
    assert.throws(() => argv({ a: [1, 2, 3], b: [1, 2] }, { maxJobs: 5 }), /6 jobs, more than the limit of 5/);
  });

  it('refuses few jobs with very many flags', () => {
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, 1]));
    assert.throws(() => argv({ ...wide, n: [1, 2] }, { maxJobs: 2 }), /2 jobs with 602 flags in all/);
    assert.equal(argv({ ...wide, n: [1, 2] }, { maxJobs: 7 }).length, 2);
  });
});

describe('pythonNumber', () => {
  const cases: [string, string][] = [
    ['0', '0'],
    ['-0', '0'],
    ['42', '42'],
    ['-7', '-7'],
    ['99999999999999999999999', '99999999999999999999999'],
    ['1.0', '1.0'],
    ['0.0', '0.0'],
    ['-0.0', '-0.0'],
    ['1e3', '1000.0'],
    ['1E3', '1000.0'],
    ['2.5e0', '2.5'],
    ['1.5e-05', '1.5e-05'],
    ['0.0001', '0.0001'],
    ['0.00001', '1e-05'],
    ['0.000123', '0.000123'],
    ['0.0000123', '1.23e-05'],
    ['1e15', '1000000000000000.0'],
    ['1e16', '1e+16'],
    ['123456789012345678.0', '1.2345678901234568e+17'],
    ['1e100', '1e+100'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'],
    ['5e-324', '5e-324'],
    ['1e400', 'inf'],
    ['-1e400', '-inf'],
    ['0.1', '0.1'],
    ['3.14159', '3.14159'],
    ['100.5', '100.5'],
    ['-1234.5e2', '-123450.0']
  ];
  for (const [json, python] of cases) {
    it(`${json} → ${python}`, () => {
      assert.equal(pythonNumber(new JsonNumber(json)), python);
    });
  }
});
