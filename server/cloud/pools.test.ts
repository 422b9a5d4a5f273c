import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { validateMachine } from './catalog.js';
import pools from './pools.json' with { type: 'json' };
import { distributedOf, planPools, type DistributedRequest } from './pools.js';
import { customJobMessage, planCloudJobs, type CloudJob } from './spec.js';

const REGION = 'us-central1';
const T4 = { machineType: 'n1-standard-8', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 2 };
const IMAGE = `127.0.0.1:5000/ariel-test/demo@sha256:${'1'.repeat(64)}`;

function jobsFor(distributed: DistributedRequest | undefined, primary = T4, experiments = 1): CloudJob[] {
  const plan = planPools(distributed, primary, { region: REGION });
  return planCloudJobs(
    Array.from({ length: experiments }, (_, i) => ({ index: i + 1, args: ['--lr', String(0.1 / (i + 1))] })),
    {
      group: 'dist',
      projectName: 'demo',
      image: IMAGE,
      target: { kind: 'module', module: 'trainer.train' },
      machine: primary,
      userLabels: { team: 'vision' },
      pools: plan
    }
  );
}

type Pool = {
  replicaCount: number;
  machineSpec: Record<string, unknown>;
  containerSpec: { imageUri: string; command?: string[]; args?: string[] };
};
const poolsOf = (job: CloudJob) =>
  (customJobMessage(job, 'req-1').jobSpec as { workerPoolSpecs: Pool[] }).workerPoolSpecs;

/** The error `work` throws, checked for its code and for fragments of its message and hint. */
function rejects(work: () => unknown, code: string, ...fragments: string[]): ArielError {
  let caught: unknown;
  assert.throws(work, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ArielError && caught.code === code, String(caught));
  const text = `${caught.message}\n${caught.hint}`;
  for (const fragment of fragments) {
    assert.ok(text.includes(fragment), `${JSON.stringify(text)} lacks ${JSON.stringify(fragment)}`);
  }
  return caught;
}

describe('worker pools of a cloud job', () => {
  it('gives --replicas N workers the primary machine, image, command and args, and the job its labels', () => {
    const [job] = jobsFor({ replicas: 3 });
    const [primary, workers, ...rest] = poolsOf(job);
    assert.equal(rest.length, 0);
    assert.equal(primary.replicaCount, 1);
    assert.equal(workers.replicaCount, 3);
    assert.deepEqual(workers.machineSpec, primary.machineSpec);
    assert.deepEqual(primary.machineSpec, T4);
    assert.deepEqual(workers.containerSpec, primary.containerSpec);
    assert.deepEqual(primary.containerSpec, {
      imageUri: IMAGE,
      command: ['python', '-m', 'trainer.train'],
      args: ['--lr', '0.1']
    });
    assert.deepEqual(job.workers, {
      replicaCount: 3,
      machineType: 'n1-standard-8',
      acceleratorType: 'NVIDIA_TESLA_T4',
      acceleratorCount: 2
    });
    assert.equal((customJobMessage(job, 'req-1').labels as Record<string, string>).team, 'vision');
  });

  it('expands an experiment config to one distributed job per experiment', () => {
    const jobs = jobsFor({ replicas: 1 }, T4, 3);
    assert.equal(jobs.length, 3);
    for (const [i, job] of jobs.entries()) {
      const specs = poolsOf(job);
      assert.equal(specs.length, 2, job.displayName);
      assert.deepEqual(
        specs.map(pool => pool.containerSpec.args),
        [job.args, job.args]
      );
      assert.deepEqual(job.args, ['--lr', String(0.1 / (i + 1))]);
    }
  });

  it('runs the workers on their own machine and accelerator where given', () => {
    const [job] = jobsFor({
      replicas: 2,
      workerMachineType: 'g2-standard-24',
      workerAcceleratorType: 'NVIDIA_L4',
      workerAcceleratorCount: 2
    });
    assert.deepEqual(poolsOf(job)[1].machineSpec, {
      machineType: 'g2-standard-24',
      acceleratorType: 'NVIDIA_L4',
      acceleratorCount: 2
    });
    // A worker machine type that fixes its GPUs gets them filled in, as the primary's would.
    const [fixed] = jobsFor({ replicas: 1, workerMachineType: 'a2-highgpu-4g' });
    assert.deepEqual(fixed.workers, {
      replicaCount: 1,
      machineType: 'a2-highgpu-4g',
      acceleratorType: 'NVIDIA_TESLA_A100',
      acceleratorCount: 4
    });
    // A count alone: the primary's accelerator type, in that count.
    const [four] = jobsFor({ replicas: 1, workerAcceleratorCount: 4 });
    assert.deepEqual(poolsOf(four)[1].machineSpec, { ...T4, acceleratorCount: 4 });
    // Another CPU machine type without a worker accelerator: CPU workers.
    const [cpu] = jobsFor({ replicas: 1, workerMachineType: 'n1-highcpu-16' });
    assert.deepEqual(poolsOf(cpu)[1].machineSpec, { machineType: 'n1-highcpu-16' });
  });

  it("checks the workers' machine against the table with the primary's errors", () => {
    const request = { machineType: 'n1-standard-8', acceleratorType: 'NVIDIA_L4', region: REGION };
    const single = rejects(() => validateMachine(request), 'cloud-spec-invalid');
    const worker = rejects(
      () =>
        planPools({ replicas: 1, workerMachineType: 'n1-standard-8', workerAcceleratorType: 'NVIDIA_L4' }, T4, {
          region: REGION
        }),
      'cloud-spec-invalid',
      "The workers' machine:"
    );
    assert.equal(worker.message, `The workers' machine: ${single.message}`);
    assert.equal(worker.hint, single.hint);
    rejects(
      () => planPools({ replicas: 1, workerMachineType: 'n9-imaginary-4' }, T4, { region: REGION }),
      'cloud-spec-unknown',
      "The workers' machine: Vertex AI machine type n9-imaginary-4"
    );
    const forced = planPools({ replicas: 1, workerMachineType: 'n9-imaginary-4' }, T4, {
      region: REGION,
      force: true
    });
    assert.match(
      forced.warnings.join('\n'),
      /The workers' machine: machine type n9-imaginary-4 is not in Ariel's table/
    );
  });

  it("adds Vertex AI's Reduction Server as the third pool, with its own image and no command", () => {
    const [job] = jobsFor({ replicas: 2, reductionServers: 4 });
    const specs = poolsOf(job);
    assert.equal(specs.length, 3);
    assert.deepEqual(specs[2], {
      replicaCount: 4,
      machineSpec: { machineType: pools.reductionServer.machineType },
      containerSpec: { imageUri: pools.reductionServer.imageUri }
    });
    assert.match(pools.reductionServer.imageUri, /reductionserver/);
    assert.deepEqual(planPools({ replicas: 2, reductionServers: 4 }, T4, { region: REGION }).warnings, []);
    // On CPU machines it has nothing to speed up: a warning, not an error.
    const cpu = planPools({ replicas: 1, reductionServers: 1 }, { machineType: 'n1-standard-4' }, { region: REGION });
    assert.match(cpu.warnings.join('\n'), /Reduction Server speeds up only NCCL's all-reduce between GPU machines/);
  });

  it('refuses worker machines or a Reduction Server without workers, and counts that are not whole', () => {
    rejects(
      () => planPools({ replicas: 0, reductionServers: 1 }, T4, { region: REGION }),
      'cloud-spec-invalid',
      '--replicas N'
    );
    rejects(
      () => planPools({ replicas: 0, workerMachineType: 'n1-standard-4' }, T4, { region: REGION }),
      'cloud-spec-invalid',
      'no workers'
    );
    rejects(() => planPools({ replicas: 1.5 }, T4, { region: REGION }), 'cloud-spec-invalid', '1.5');
    rejects(() => planPools({ replicas: -1 }, T4, { region: REGION }), 'cloud-spec-invalid', '-1');
  });

  it('leaves a one-machine job as it was: one pool, no pool fields', () => {
    for (const distributed of [undefined, { replicas: 0 }]) {
      const [job] = jobsFor(distributed);
      assert.equal(poolsOf(job).length, 1);
      assert.equal('workers' in job, false);
      assert.equal('reductionServers' in job, false);
    }
  });

  it("reads a request body's distributed object, field by field", () => {
    assert.equal(distributedOf(undefined), undefined);
    assert.deepEqual(distributedOf({ replicas: 2, workerMachineType: ' n1-standard-16 ', workerAcceleratorType: '' }), {
      replicas: 2,
      workerMachineType: 'n1-standard-16',
      workerAcceleratorType: undefined,
      workerAcceleratorCount: undefined,
      reductionServers: undefined
    });
    rejects(() => distributedOf({ replicas: '2' }), 'usage', '"distributed.replicas" must be a number');
    rejects(() => distributedOf([1]), 'usage', '"distributed" must be an object');
    rejects(() => distributedOf({ replicas: 1, workers: 2 }), 'usage', 'unknown fields: workers');
  });
});
