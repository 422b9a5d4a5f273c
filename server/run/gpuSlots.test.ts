import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ArielError } from '../errors.js';
import { gpuSlots, sweepDevices } from './gpuSlots.js';

describe('GPU slots of a local sweep', () => {
  it('cut the devices into slots of K, leaving the rest unused', () => {
    assert.deepEqual(gpuSlots(['0', '1', '2', '3'], 1), [['0'], ['1'], ['2'], ['3']]);
    assert.deepEqual(gpuSlots(['0', '1', '2', '3', '4'], 2), [
      ['0', '1'],
      ['2', '3']
    ]);
    assert.throws(
      () => gpuSlots(['0'], 2),
      (e: ArielError) => e.code === 'usage' && /only 1 are given/.test(e.message)
    );
    assert.throws(
      () => gpuSlots(['0'], 0),
      (e: ArielError) => e.code === 'usage'
    );
  });

  it('take the chosen devices, else the host GPUs nvidia-smi lists, else say how to name them', () => {
    const host = () => ['0', '1', '2'];
    assert.deepEqual(sweepDevices(['2', '3'], host), ['2', '3']);
    assert.deepEqual(sweepDevices('all', host), ['0', '1', '2']);
    assert.deepEqual(sweepDevices(2, host), ['0', '1']);
    assert.throws(
      () => sweepDevices('all', () => undefined),
      (e: ArielError) => e.code === 'gpu-unavailable' && /--gpus 0,1,2,3/.test(e.hint ?? '')
    );
  });
});
