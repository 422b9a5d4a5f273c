import type { CloudCheck, EnvironmentCheck } from '../api';
import {
  decide,
  EMPTY_FORM,
  requestOf,
  restoreValues,
  stateKey,
  targetOf,
  type ICloudFormValues
} from '../widgets/cloudFormState';

const check = (same: boolean): EnvironmentCheck => ({
  cloudImage: 'ariel/digits:cloud-cpu-abc',
  notebookImage: 'ariel/digits:notebook-cpu-def',
  count: 143,
  otherVersions: [],
  onlyNotebook: [],
  onlyCloud: [],
  kernels: [],
  same
});

describe('the cloud form state', () => {
  it('keeps each project under its own key', () => {
    expect(stateKey('digits')).not.toEqual(stateKey('vision'));
    expect(stateKey('')).not.toEqual(stateKey('digits'));
  });

  it('restores saved values, leaving out those of the wrong type', () => {
    const saved = { ...EMPTY_FORM, projectId: 'my-project', replicas: 3, machineType: 42, unknown: 'x' };
    const values = restoreValues(saved);
    expect(values.projectId).toBe('my-project');
    expect(values.replicas).toBe(3);
    expect(values.machineType).toBe(EMPTY_FORM.machineType);
    expect(values).not.toHaveProperty('unknown');
  });

  it('starts empty from nothing saved, and a target asked for wins over the saved one', () => {
    expect(restoreValues(undefined)).toEqual(EMPTY_FORM);
    expect(restoreValues({ target: 'old.py', projectId: 'p' }, 'train.ipynb')).toMatchObject({
      target: 'train.ipynb',
      projectId: 'p'
    });
  });

  it.each([
    ['digits/train.ipynb', 'digits', false, 'train.ipynb'],
    ['digits/trainer/train.py', 'digits', false, 'trainer/train.py'],
    ['digits/trainer', 'digits', true, 'trainer'],
    ['digits/pkg/trainer/', 'digits', true, 'pkg.trainer'],
    ['train.py', '', false, 'train.py'],
    ['other/train.py', 'digits', false, null],
    ['digits/data.csv', 'digits', false, null]
  ])('takes %s in project "%s" (folder: %s) as the target %s', (path, root, isDirectory, target) => {
    expect(targetOf(path, root, isDirectory)).toBe(target);
  });

  it('sends the distributed pools only when there are workers or reduction servers', () => {
    const values: ICloudFormValues = { ...EMPTY_FORM, target: 'trainer.train', projectId: ' p ', labels: 'a=1, b=2' };
    const single = requestOf(values, 'digits');
    expect(single).not.toHaveProperty('distributed');
    expect(single).toMatchObject({ path: 'digits', projectId: 'p', labels: ['a=1', 'b=2'] });

    const pools = requestOf(
      {
        ...values,
        replicas: 2,
        workerMachineType: 'n1-highmem-8',
        workerAcceleratorType: 'NVIDIA_TESLA_T4',
        workerAcceleratorCount: 2,
        reductionServers: 1
      },
      'digits'
    );
    expect(pools.distributed).toEqual({
      replicas: 2,
      workerMachineType: 'n1-highmem-8',
      workerAcceleratorType: 'NVIDIA_TESLA_T4',
      workerAcceleratorCount: 2,
      reductionServers: 1
    });
    expect(
      requestOf({ ...values, replicas: 0, workerMachineType: 'n1-highmem-8', reductionServers: 0 }, 'd')
    ).not.toHaveProperty('distributed');
  });

  it('asks to confirm when the check warns, and goes on with its ok line when it does not', () => {
    const warned: CloudCheck = { check: check(false), warnings: ['numpy differs: 1.26 in the cloud image, 2.0 here'] };
    expect(decide(warned)).toEqual({ confirm: true, warnings: warned.warnings });
    const ok: CloudCheck = { check: check(true), warnings: [], ok: "Same 143 packages as the notebook's image." };
    expect(decide(ok)).toEqual({ confirm: false, ok: "Same 143 packages as the notebook's image." });
  });
});
