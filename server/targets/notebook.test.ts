import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ArielError } from '../errors.js';
import { expandExperiments } from '../experiments/expand.js';
import { parseJsoncExact } from '../project/jsonc.js';
import { checkNotebookArgs, executedNotebookName, jobArgsFor, notebookArgs, parametersWarnings } from './notebook.js';
import { notebookJson } from '../run/testing/notebook.js';

const experiments = (json: string) => expandExperiments(parseJsoncExact(json, 'config').value);

describe('notebook parameters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-nb-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes every value as a Python literal, false and strings that look like numbers included', () => {
    const [job] = experiments(
      '{"lr": 0.10, "epochs": 3, "model": "resnet", "augment": false, "seed": "7", "big": 1e999}'
    );
    assert.deepEqual(notebookArgs(job), [
      '--lr',
      '0.1',
      '--epochs',
      '3',
      '--model',
      '"resnet"',
      '--augment',
      'False',
      '--seed',
      '"7"',
      '--big',
      '1e999'
    ]);
  });

  it('takes notebook args for notebooks and flags for scripts', () => {
    const loaded = { jobs: [['--fast']], experiments: experiments('{"fast": true}') };
    assert.deepEqual(jobArgsFor('notebooks/a.ipynb', loaded), [['--fast', 'True']]);
    assert.deepEqual(jobArgsFor('trainer/train.py', loaded), [['--fast']]);
  });

  it('refuses keys and arguments that cannot be Python variables', () => {
    assert.throws(
      () => notebookArgs(experiments('{"learning-rate": 1}')[0]),
      (e: ArielError) => e.code === 'experiment-config-invalid' && /learning-rate/.test(e.message)
    );
    checkNotebookArgs(['--epochs', '3', '--verbose', '--lr', '-0.5']);
    assert.throws(
      () => checkNotebookArgs(['3']),
      (e: ArielError) => e.code === 'usage' && /"3"/.test(e.message)
    );
    assert.throws(
      () => checkNotebookArgs(['--a', '1', '2']),
      (e: ArielError) => e.code === 'usage'
    );
    assert.throws(
      () => checkNotebookArgs(['--2x', '1']),
      (e: ArielError) => e.code === 'experiment-config-invalid'
    );
  });

  it('warns when no cell is tagged parameters, and refuses a file that is not a notebook', () => {
    const tagged = join(dir, 'tagged.ipynb');
    writeFileSync(tagged, notebookJson(['a = 1', 'print(a)'], { 0: ['parameters'] }));
    assert.deepEqual(parametersWarnings(tagged, 'tagged.ipynb'), []);
    const untagged = join(dir, 'untagged.ipynb');
    writeFileSync(untagged, notebookJson(['a = 1']));
    assert.match(
      parametersWarnings(untagged, 'untagged.ipynb')[0],
      /untagged\.ipynb has no cell tagged "parameters".*top/
    );
    const broken = join(dir, 'broken.ipynb');
    writeFileSync(broken, 'not json');
    assert.throws(
      () => parametersWarnings(broken, 'broken.ipynb'),
      (e: ArielError) => e.code === 'target-invalid'
    );
  });

  it('names executed notebooks per job', () => {
    assert.equal(executedNotebookName('notebooks/train.ipynb', 'sweep-3'), 'train-sweep-3.ipynb');
  });
});
