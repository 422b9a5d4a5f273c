import { lineDiff, splitArgs } from '../format';
import { pushSummary, stateLabel } from '../cloudModel';

describe('splitArgs', () => {
  it.each([
    ['', []],
    ['--epochs 3', ['--epochs', '3']],
    ['  --epochs   3  ', ['--epochs', '3']],
    ['--name "two words" --tag \'x y\'', ['--name', 'two words', '--tag', 'x y']],
    ['--empty ""', ['--empty', '']],
    ['--lr=0.1\t--seed\n7', ['--lr=0.1', '--seed', '7']]
  ])('splits %j as a shell would', (text, words) => {
    expect(splitArgs(text)).toEqual(words);
  });
});

describe('lineDiff (the CPU/GPU Dockerfile comparison)', () => {
  it('keeps every line of both texts in order, marking what the second adds and removes', () => {
    const cpu = 'FROM python:3.11-slim\nRUN pip install torch\nCOPY . /app\n';
    const gpu = 'FROM nvidia/cuda:12.4\nRUN pip install torch\nCOPY . /app\nENV NVIDIA_VISIBLE_DEVICES=all\n';
    expect(lineDiff(cpu, gpu)).toEqual([
      { kind: 'removed', text: 'FROM python:3.11-slim' },
      { kind: 'added', text: 'FROM nvidia/cuda:12.4' },
      { kind: 'same', text: 'RUN pip install torch' },
      { kind: 'same', text: 'COPY . /app' },
      { kind: 'added', text: 'ENV NVIDIA_VISIBLE_DEVICES=all' }
    ]);
  });

  it('marks nothing in two equal texts', () => {
    const text = 'FROM x\nRUN y';
    expect(lineDiff(text, text).map(line => line.kind)).toEqual(['same', 'same']);
  });
});

describe('stateLabel', () => {
  it.each([
    ['JOB_STATE_SUCCEEDED', 'succeeded'],
    ['JOB_STATE_PARTIALLY_SUCCEEDED', 'partially succeeded'],
    ['NOT_SUBMITTED', 'not submitted'],
    ['SUBMITTING', 'submitting']
  ])('reads %s as "%s"', (state, label) => {
    expect(stateLabel(state)).toBe(label);
  });
});

describe('pushSummary', () => {
  it('counts the layers that are in the registry, however they got there', () => {
    expect(
      pushSummary({
        a: 'Pushed',
        b: 'Layer already exists',
        c: 'Mounted from library/python',
        d: 'Pushing',
        e: 'Waiting'
      })
    ).toBe('3 of 5 layers pushed');
  });
});
