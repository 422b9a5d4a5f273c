import type { GroupRecord, NewJob } from '../../history/store.js';
import { planCloudJobs } from '../spec.js';

export const FIXTURE_PROJECT = 'test-project';
export const FIXTURE_REGION = 'us-central1';
export const FIXTURE_DIGEST = `sha256:${'0'.repeat(64)}`;
export const FIXTURE_IMAGE = `127.0.0.1:5000/ariel-test/demo@${FIXTURE_DIGEST}`;

/** A Vertex AI job group as `ariel cloud` records it, for tests and the bench. */
export function groupFixture(name: string): GroupRecord {
  return {
    name,
    platform: 'vertex',
    projectRoot: '/demo',
    target: 'trainer.train',
    cloudProject: FIXTURE_PROJECT,
    region: FIXTURE_REGION,
    image: FIXTURE_IMAGE,
    imageDigest: FIXTURE_DIGEST,
    dockerfile: 'FROM scratch\n',
    packages: { six: '1.16.0' },
    createdAt: new Date().toISOString()
  };
}

/** `count` planned jobs of a group (`--seed I`, user label team=vision), request ids NAME-I-req. */
export function jobsFixture(group: string, count: number): NewJob[] {
  return planCloudJobs(
    Array.from({ length: count }, (_, i) => ({ index: i + 1, args: ['--seed', String(i)] })),
    {
      group,
      projectName: 'demo',
      image: FIXTURE_IMAGE,
      target: { kind: 'module', module: 'trainer.train' },
      machine: { machineType: 'n1-standard-4' },
      userLabels: { team: 'vision' }
    }
  ).map(job => ({
    experiment: job.index,
    args: job.args,
    spec: job,
    requestId: `${group}-${job.index}-req`
  }));
}

/** `ariel cloud trainer.train` to the emulator's project and region, pushing to `repository`, as group `name`. */
export function cloudSubmitArgs(repository: string, name: string, ...more: string[]): string[] {
  return [
    'cloud',
    'trainer.train',
    '--project-id',
    'test-proj',
    '--region',
    FIXTURE_REGION,
    '--image-repository',
    repository,
    '--name',
    name,
    ...more
  ];
}
