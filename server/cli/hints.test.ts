import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArielError, type ErrorCode } from '../errors.js';
import { withCliHint, type ErrorContext } from './hints.js';

describe("the CLI's hints", () => {
  const cases: [ErrorCode, string | undefined, ErrorContext, string | undefined][] = [
    [
      'too-many-jobs',
      'Shorten its lists.',
      { command: 'cloud' },
      'Shorten its lists, or pass --max-jobs N to allow up to N jobs.'
    ],
    [
      'too-many-jobs',
      'Shorten its lists.',
      { command: 'run' },
      'Shorten its lists, or pass --max-jobs N to allow up to N jobs.'
    ],
    ['gpu-unavailable', 'No GPU here.', { command: 'shell' }, 'Use ariel shell --cpu instead; No GPU here.'],
    ['gpu-unavailable', 'No GPU here.', { command: 'lock' }, 'No GPU here.'],
    [
      'build-failed',
      'See the log.',
      { command: 'build', mode: 'notebook', accelerator: 'gpu' },
      'Fix the cause above, then run: ariel build --mode notebook --gpu'
    ],
    ['cloud-spec-unknown', 'Check the name.', { command: 'cloud' }, 'Check the name. (--force submits anyway.)'],
    ['history-not-found', undefined, { command: 'status' }, 'List the recorded jobs and groups with: ariel status'],
    ['history-not-found', 'Its own hint.', { command: 'status' }, 'Its own hint.'],
    ['usage', 'As it was.', { command: 'cloud' }, 'As it was.']
  ];
  for (const [code, hint, context, expected] of cases) {
    it(`${code} in ariel ${context.command}: ${JSON.stringify(expected)}`, () => {
      assert.equal(withCliHint(new ArielError(code, 'What went wrong.', hint), context), expected);
    });
  }
});
