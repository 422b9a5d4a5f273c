import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageRef } from '../docker/imageRef.js';
import { LABELS } from '../docker/labels.js';
import { emptyConfig } from '../project/config.js';
import { jobContainer, planJobs } from './jobs.js';

const project = { root: '/home/me/digits', config: emptyConfig() };
const target = { kind: 'module', module: 'trainer.train' } as const;

describe('jobs', () => {
  it('one per experiment, arguments after -- first', () => {
    const image = ImageRef.of('ariel/digits', 'run', 'cpu', 'c'.repeat(64));
    const jobs = planJobs(
      image,
      ['--epochs', '1'],
      [
        ['--lr', '0.1'],
        ['--lr', '0.2']
      ]
    );
    assert.deepEqual(
      jobs.map(job => [job.index, job.args]),
      [
        [1, ['--epochs', '1', '--lr', '0.1']],
        [2, ['--epochs', '1', '--lr', '0.2']]
      ]
    );
    assert.equal(JSON.parse(JSON.stringify(jobs))[0].image, image.name);
  });

  it('get GPUs when their image is a GPU image, and only then', () => {
    const [onCpu] = planJobs(ImageRef.of('ariel/digits', 'run', 'cpu', 'c'.repeat(64)), [], undefined);
    const [onGpu] = planJobs(ImageRef.of('ariel/digits', 'run', 'gpu', 'd'.repeat(64)), [], undefined);
    assert.equal(jobContainer(onCpu, { project, target }).HostConfig?.DeviceRequests, undefined);
    assert.deepEqual(jobContainer(onGpu, { project, target }).HostConfig?.DeviceRequests?.[0].Capabilities, [['gpu']]);
  });

  it('are labelled with role, project and job number', () => {
    const [job] = planJobs(ImageRef.of('ariel/digits', 'run', 'cpu', 'c'.repeat(64)), [], [[], []]).slice(1);
    const create = jobContainer(job, { project, target });
    assert.deepEqual(create.Labels, { [LABELS.role]: 'run', [LABELS.project]: project.root, [LABELS.job]: '2' });
    assert.deepEqual(create.Cmd, ['python', '-m', 'trainer.train']);
  });
});
