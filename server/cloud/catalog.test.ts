import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { tpuMachine, validateMachine, VERTEX_CATALOG, type MachineRequest } from './catalog.js';

function rejects(request: MachineRequest, ...fragments: string[]): void {
  rejectsWith('cloud-spec-invalid', request, ...fragments);
}

function rejectsWith(code: string, request: MachineRequest, ...fragments: string[]): void {
  assert.throws(
    () => validateMachine(request),
    (error: unknown) => {
      assert.ok(error instanceof ArielError && error.code === code, String(error));
      const text = `${error.message}\n${error.hint}`;
      for (const fragment of fragments) {
        assert.ok(text.includes(fragment), `${JSON.stringify(text)} lacks ${JSON.stringify(fragment)}`);
      }
      return true;
    }
  );
}

describe('validateMachine', () => {
  it('accepts the families the issue names with their accelerators', () => {
    const ok: MachineRequest[] = [
      { machineType: 'n1-standard-8', region: 'us-central1', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 4 },
      {
        machineType: 'n1-standard-8',
        region: 'us-central1',
        acceleratorType: 'NVIDIA_TESLA_V100',
        acceleratorCount: 8
      },
      { machineType: 'n1-highmem-16', region: 'europe-west4', acceleratorType: 'NVIDIA_TESLA_P100' },
      { machineType: 'n1-standard-4', region: 'us-central1', acceleratorType: 'NVIDIA_TESLA_P4', acceleratorCount: 2 },
      { machineType: 'g2-standard-8', region: 'us-central1', acceleratorType: 'NVIDIA_L4', acceleratorCount: 1 },
      {
        machineType: 'a2-ultragpu-2g',
        region: 'us-central1',
        acceleratorType: 'NVIDIA_A100_80GB',
        acceleratorCount: 2
      },
      { machineType: 'a3-highgpu-8g', region: 'us-central1', acceleratorType: 'NVIDIA_H100_80GB', acceleratorCount: 8 },
      { machineType: 'e2-standard-4', region: 'europe-west1' },
      { machineType: 'n2-highmem-8', region: 'asia-east1' },
      { machineType: 'c2-standard-60', region: 'us-east1' }
    ];
    for (const request of ok) {
      assert.deepEqual(validateMachine(request).warnings, [], JSON.stringify(request));
    }
  });

  it('fills in the GPUs of machines that come with them, and a count of 1 otherwise', () => {
    assert.deepEqual(validateMachine({ machineType: 'a2-highgpu-4g', region: 'us-central1' }).spec, {
      machineType: 'a2-highgpu-4g',
      acceleratorType: 'NVIDIA_TESLA_A100',
      acceleratorCount: 4
    });
    assert.equal(
      validateMachine({ machineType: 'n1-standard-4', region: 'us-central1', acceleratorType: 'NVIDIA_TESLA_T4' }).spec
        .acceleratorCount,
      1
    );
  });

  it('lists the valid accelerators of a machine that cannot carry the one asked for', () => {
    rejects(
      { machineType: 'n1-standard-8', region: 'us-central1', acceleratorType: 'NVIDIA_L4' },
      'n1-standard-8 cannot carry NVIDIA_L4',
      'NVIDIA_TESLA_T4 × 1|2|4',
      'NVIDIA_L4 runs on: g2'
    );
    rejects(
      { machineType: 'e2-standard-4', region: 'us-central1', acceleratorType: 'NVIDIA_TESLA_T4' },
      'CPU-only',
      'NVIDIA_TESLA_T4 runs on: n1'
    );
    rejects(
      { machineType: 'a2-highgpu-1g', region: 'us-central1', acceleratorType: 'NVIDIA_H100_80GB' },
      'NVIDIA_TESLA_A100 × 1',
      'a3-highgpu-1g'
    );
  });

  it('lists the valid counts and the regions that have an accelerator', () => {
    rejects(
      { machineType: 'n1-standard-8', region: 'us-central1', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 3 },
      'Valid counts of NVIDIA_TESLA_T4 on n1-standard-8: 1, 2, 4'
    );
    rejects(
      {
        machineType: 'a3-highgpu-8g',
        region: 'europe-west1',
        acceleratorType: 'NVIDIA_H100_80GB',
        acceleratorCount: 8
      },
      'Region europe-west1 has no NVIDIA_H100_80GB',
      'us-central1'
    );
    rejects({ machineType: 'n1-standard-8', region: 'us-central1', acceleratorCount: 2 }, 'needs an accelerator type');
    rejects(
      { machineType: 'n1-standard-8', region: 'us-central1', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 0 },
      'positive'
    );
  });

  it('refuses names it does not know unless forced, then warns', () => {
    // An unknown name has its own code: each entry point says how to force it in its own words.
    rejectsWith(
      'cloud-spec-unknown',
      { machineType: 'n9-standard-4', region: 'us-central1' },
      'machine type n9-standard-4'
    );
    rejectsWith(
      'cloud-spec-unknown',
      { machineType: 'n1-standard-4', region: 'mars-north1' },
      'region mars-north1',
      'us-central1'
    );
    rejectsWith(
      'cloud-spec-unknown',
      { machineType: 'n1-standard-4', region: 'us-central1', acceleratorType: 'NVIDIA_B200' },
      'accelerator type NVIDIA_B200'
    );
    const forced = validateMachine(
      { machineType: 'n9-standard-4', region: 'mars-north1', acceleratorType: 'NVIDIA_B200', acceleratorCount: 2 },
      { force: true }
    );
    assert.deepEqual(forced.spec, {
      machineType: 'n9-standard-4',
      acceleratorType: 'NVIDIA_B200',
      acceleratorCount: 2
    });
    assert.equal(forced.warnings.length, 3);
    // A combination of known names stays an error even when forced.
    assert.throws(
      () =>
        validateMachine(
          { machineType: 'e2-standard-4', region: 'us-central1', acceleratorType: 'NVIDIA_L4' },
          { force: true }
        ),
      /cannot carry/
    );
  });

  it('keeps a table whose every accelerator is offered in some region', () => {
    const offered = new Set(Object.values(VERTEX_CATALOG.regions).flat());
    for (const row of VERTEX_CATALOG.machineFamilies) {
      for (const type of Object.keys(row.accelerators)) {
        assert.ok(offered.has(type), `${type} (${row.family}) is in no region`);
      }
    }
  });
});

/**
 * The TPU machines of Vertex AI custom training as its 'Configure compute resources' page lists
 * them: cloud-tpu with 8 TPU v2 or v3 cores (32 for a Pod slice), and TPU v5e's ct5lp-hightpu
 * machines with 1, 4 or 8 chips.
 */
const VERTEX_TPUS: [spec: string, machineType: string, acceleratorType: string, count: number][] = [
  ['8xV2', 'cloud-tpu', 'TPU_V2', 8],
  ['32xV2', 'cloud-tpu', 'TPU_V2', 32],
  ['8xV3', 'cloud-tpu', 'TPU_V3', 8],
  ['32xV3', 'cloud-tpu', 'TPU_V3', 32],
  ['ct5lp-hightpu-1t', 'ct5lp-hightpu-1t', 'TPU_V5_LITEPOD', 1],
  ['ct5lp-hightpu-4t', 'ct5lp-hightpu-4t', 'TPU_V5_LITEPOD', 4],
  ['ct5lp-hightpu-8t', 'ct5lp-hightpu-8t', 'TPU_V5_LITEPOD', 8]
];

describe('--tpu-spec against the table', () => {
  it('accepts every TPU machine Vertex AI documents, with its TPUs filled in', () => {
    for (const [spec, machineType, acceleratorType, acceleratorCount] of VERTEX_TPUS) {
      const tpu = tpuMachine(spec);
      assert.deepEqual(tpu, { machineType, acceleratorType, acceleratorCount }, spec);
      const { spec: checked } = validateMachine({ ...tpu, region: 'us-central1' });
      assert.equal(checked.acceleratorCount, acceleratorCount, spec);
    }
  });

  it('refuses counts and machine types Vertex AI does not offer, listing those it does', () => {
    assert.throws(
      () => validateMachine({ ...tpuMachine('16xV3'), region: 'us-central1' }),
      (error: unknown) =>
        error instanceof ArielError &&
        error.code === 'cloud-spec-invalid' &&
        /\b8\b.*\b32\b/.test(`${error.message} ${error.hint}`)
    );
    for (const spec of ['ct5lp-hightpu-2t', 'v5litepod-4', 'n1-standard-8']) {
      assert.throws(
        () => tpuMachine(spec),
        (error: unknown) =>
          error instanceof ArielError &&
          error.code === 'cloud-spec-invalid' &&
          (error.hint ?? '').includes('ct5lp-hightpu-1t, ct5lp-hightpu-4t, ct5lp-hightpu-8t') &&
          (error.hint ?? '').includes('32xV3'),
        spec
      );
    }
  });

  it('keeps TPUs to the regions that have them', () => {
    rejects({ ...tpuMachine('ct5lp-hightpu-4t'), region: 'europe-west1' }, 'TPU_V5_LITEPOD', 'europe-west1');
  });
});
