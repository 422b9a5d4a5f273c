/**
 * Caliban's cloud flags, end to end as in cloud.cli.test.ts: the real CLI builds on the local engine,
 * pushes to a registry on loopback and creates jobs in the JobService emulator, which runs them.
 * The tests run in order and share the emulator and the history.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { VertexEmulator } from './testing/emulator.js';
import { cloudSubmitArgs } from './testing/fixtures.js';
import { TestRegistry } from './testing/registry.js';
import { removeRegistryImages } from '../testing/registryImages.js';

interface JobView {
  group: string;
  experiment: number;
  attempt: number;
  state: string;
  name: string | null;
  args: string[];
  image: string;
}

const TRAIN = `import sys, time
args = sys.argv[1:]
print("ARGS", " ".join(args))
if "--sleep" in args:
    time.sleep(float(args[args.index("--sleep") + 1]))
sys.exit(3 if "--fail" in args else 0)
`;

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

describe('Caliban cloud flags', { timeout: 1_200_000 }, () => {
  const docker = new Docker();
  const registry = new TestRegistry();
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  const emulator = new VertexEmulator({ docker, gcsRoot: join(dataDir, 'gcs') });
  let project: string;
  let env: Record<string, string>;
  let repository: string;

  const cli = (args: string[], stdin?: string) => runCli(args, { cwd: project, env, stdin });
  const submitArgs = (name: string, ...more: string[]) => cloudSubmitArgs(repository, name, ...more);
  const groupJobs = (name: string) => emulator.jobsOfGroup(name);
  const imageOf = (job: ReturnType<typeof groupJobs>[number]) =>
    (job.request.jobSpec as { workerPoolSpecs: { containerSpec: { imageUri: string } }[] }).workerPoolSpecs[0]
      .containerSpec.imageUri;
  const status = async (group: string): Promise<JobView[]> => {
    const result = await cli(['status', '--group', group, '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as JobView[];
  };

  before(async () => {
    await registry.start();
    await emulator.start();
    repository = `${registry.host}/ariel-caliban`;
    project = tempProject(
      { 'requirements.txt': 'six\n', 'trainer/__init__.py': '', 'trainer/train.py': TRAIN },
      `calibancloud${process.pid}`
    );
    env = { ARIEL_VERTEX_ENDPOINT: emulator.endpoint, ARIEL_DATA_DIR: dataDir };
  });

  after(async () => {
    await emulator.stop();
    await registry.stop();
    // The pushed tag and the images the emulator pulled by digest.
    await removeRegistryImages(docker, repository);
    removeImagesOf(project);
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('submits on a rebuilt image with --no-cache, where a plain submission reuses the built one', async () => {
    const first = await cli(submitArgs('first', '--experiment-config', 'stdin'), '{"fail": [false, true]}');
    assert.equal(first.code, 0, show(first));
    const again = await cli(submitArgs('again'));
    assert.equal(again.code, 0, show(again));
    assert.match(again.stderr, /up to date/, show(again));
    const fresh = await cli(submitArgs('fresh', '--no-cache'));
    assert.equal(fresh.code, 0, show(fresh));
    // Built from scratch once (the environment check's build), which the submission then finds.
    assert.doesNotMatch(fresh.stderr, /Using cache/, show(fresh));
    assert.equal(fresh.stderr.match(/^Built /gm)?.length, 1, show(fresh));
    const [firstImage, againImage, freshImage] = ['first', 'again', 'fresh'].map(g => imageOf(groupJobs(g)[0]));
    assert.equal(againImage, firstImage);
    assert.notEqual(freshImage, firstImage, 'the rebuilt image has another digest');
    for (const job of [...groupJobs('first'), ...groupJobs('again'), ...groupJobs('fresh')]) {
      await emulator.finished(job.name);
    }
  });

  it('resubmit --dry-run names the jobs it would submit again and creates none; --all-jobs takes every job', async () => {
    assert.deepEqual(
      (await status('first')).map(j => j.state),
      ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED']
    );
    const created = emulator.jobs.size;
    const dry = await cli(['resubmit', '--group', 'first', '--dry-run', '--json']);
    assert.equal(dry.code, 0, show(dry));
    assert.match(dry.stderr, /Would submit 1 job\(s\) of first again/);
    assert.deepEqual(
      (JSON.parse(dry.stdout) as JobView[]).map(j => j.experiment),
      [2]
    );
    const dryAll = await cli(['resubmit', '--group', 'first', '--all-jobs', '--dry-run', '--json']);
    assert.equal(dryAll.code, 0, show(dryAll));
    assert.deepEqual(
      (JSON.parse(dryAll.stdout) as JobView[]).map(j => j.experiment),
      [1, 2]
    );
    assert.equal(emulator.jobs.size, created, 'a dry run creates no job');

    const all = await cli(['resubmit', '--group', 'first', '--all-jobs', '--json']);
    assert.equal(all.code, 0, show(all));
    assert.equal(emulator.jobs.size, created + 2);
    assert.deepEqual(
      (JSON.parse(all.stdout) as JobView[]).map(j => [j.experiment, j.attempt]),
      [
        [1, 2],
        [2, 2]
      ]
    );
    const images = new Set(groupJobs('first').map(imageOf));
    assert.equal(images.size, 1, 'every attempt ran the recorded digest');
    for (const job of groupJobs('first')) {
      await emulator.finished(job.name);
    }
  });

  it('stop --dry-run stops nothing; stop without a group asks first, and --yes does not', async () => {
    for (const name of ['slow-a', 'slow-b']) {
      const result = await cli(submitArgs(name, '--', '--sleep', '300'));
      assert.equal(result.code, 0, show(result));
    }
    const [a] = groupJobs('slow-a');
    const [b] = groupJobs('slow-b');
    await eventually(
      () => a.state === 'JOB_STATE_RUNNING' && b.state === 'JOB_STATE_RUNNING',
      'both jobs to run',
      120_000
    );

    const dry = await cli(['stop', '--group', 'slow-a', '--dry-run']);
    assert.equal(dry.code, 0, show(dry));
    assert.match(dry.stderr, /Would stop 1 job\(s\)/, show(dry));
    assert.match(dry.stdout, /^slow-a {2}#1 {2}\S+ {2}projects\/test-proj\//m, show(dry));
    assert.doesNotMatch(dry.stdout, /slow-b/, show(dry));
    assert.equal(a.state, 'JOB_STATE_RUNNING');

    const declined = await cli(['stop'], 'n\n');
    assert.equal(declined.code, 130, show(declined));
    assert.match(
      declined.stderr,
      /These 2 unfinished job\(s\) will be stopped:\n.*slow-a.*\n.*slow-b.*\nStop them\? \[y\/N\] n\n/
    );
    assert.match(declined.stderr, /Nothing stopped\./);
    const noInput = await cli(['stop']);
    assert.equal(noInput.code, 130, show(noInput));
    assert.equal(a.state, 'JOB_STATE_RUNNING');
    assert.equal(b.state, 'JOB_STATE_RUNNING');

    const accepted = await cli(['stop'], 'y\n');
    assert.equal(accepted.code, 0, show(accepted));
    assert.match(accepted.stderr, /Stopped 2 job\(s\)/, show(accepted));
    await emulator.finished(a.name);
    await emulator.finished(b.name);
    assert.deepEqual(
      [...(await status('slow-a')), ...(await status('slow-b'))].map(j => j.state),
      ['JOB_STATE_CANCELLED', 'JOB_STATE_CANCELLED']
    );

    const c = await cli(submitArgs('slow-c', '--', '--sleep', '300'));
    assert.equal(c.code, 0, show(c));
    const yes = await cli(['stop', '--yes']);
    assert.equal(yes.code, 0, show(yes));
    assert.doesNotMatch(yes.stderr, /Stop them\?/);
    assert.match(yes.stderr, /Stopped 1 job\(s\)/, show(yes));
    await emulator.finished(groupJobs('slow-c')[0].name);
    const nothing = await cli(['stop', '--yes']);
    assert.equal(nothing.code, 0, show(nothing));
    assert.match(nothing.stderr, /No unfinished job to stop/);
  });

  it('cloud --append adds jobs to a group, numbered after its last, where the group runs', async () => {
    const reused = await cli(submitArgs('first'));
    assert.equal(reused.code, 1, show(reused));
    assert.match(reused.stderr, /A job group named first exists already\.\n.*--append/);
    const elsewhere = await cli([...submitArgs('first', '--append'), '--region', 'europe-west4']);
    assert.equal(elsewhere.code, 1, show(elsewhere));
    assert.match(
      elsewhere.stderr,
      /Job group first ran on Vertex AI in test-proj\/us-central1; these jobs would run on Vertex AI in test-proj\/europe-west4/
    );

    const added = await cli(submitArgs('first', '--append', '--', '--extra'));
    assert.equal(added.code, 0, show(added));
    const [third] = groupJobs('first').filter(j => j.request.displayName === 'first-3');
    assert.ok(third, 'job first-3 was created');
    assert.equal((third.request.labels as Record<string, string>).ariel_experiment, '3');
    await emulator.finished(third.name);
    assert.deepEqual(
      (await status('first')).map(j => [j.experiment, j.attempt, j.state]),
      [
        [1, 2, 'JOB_STATE_SUCCEEDED'],
        [2, 2, 'JOB_STATE_FAILED'],
        [3, 1, 'JOB_STATE_SUCCEEDED']
      ]
    );
  });

  it('cloud --image-tag runs a pushed image as given: nothing built or pushed, the history keeps it', async () => {
    const given = imageOf(groupJobs('fresh')[0]);
    // --image-repository would say where to push: nothing is pushed.
    const givenArgs = (name: string, image: string, ...more: string[]) => [
      ...submitArgs(name).filter((arg, k, all) => arg !== '--image-repository' && all[k - 1] !== '--image-repository'),
      '--image-tag',
      image,
      ...more
    ];
    const result = await cli(givenArgs('given', given, '--', '--seed', '7'));
    assert.equal(result.code, 0, show(result));
    assert.doesNotMatch(result.stderr, /Step 1\/|Pushing|up to date|Built /, show(result));
    const [job] = groupJobs('given');
    assert.equal(imageOf(job), given);
    const done = await emulator.finished(job.name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', done.output);
    assert.match(done.output ?? '', /ARGS --seed 7/);
    const [recorded] = await status('given');
    assert.equal(recorded.image, given);

    const tagged = await cli(givenArgs('tagged', `${repository}/other:latest`, '--dry-run', '--json'));
    assert.equal(tagged.code, 0, show(tagged));
    assert.match(tagged.stderr, /other:latest is a tag, which can move/);
    assert.equal((JSON.parse(tagged.stdout) as { image: string }[])[0].image, `${repository}/other:latest`);
    const both = await cli(givenArgs('both', given, '--no-cache', '--dry-run'));
    assert.equal(both.code, 1, show(both));
    assert.match(both.stderr, /cannot be used with/);
  });

  it("resubmit --rebuild runs today's code in a new image, pushed beside the group's", async () => {
    writeFileSync(join(project, 'trainer', 'train.py'), TRAIN.replace('print("ARGS"', 'print("V2 ARGS"'));
    const before = new Set(groupJobs('again').map(j => j.name));
    const result = await cli(['resubmit', '--group', 'again', '--all-jobs', '--rebuild', '--json']);
    assert.equal(result.code, 0, show(result));
    const fresh = groupJobs('again').filter(j => !before.has(j.name));
    assert.equal(fresh.length, 1);
    const image = imageOf(fresh[0]);
    assert.notEqual(image, imageOf(groupJobs('again').find(j => before.has(j.name))!));
    assert.match(image, new RegExp(`^${repository}/calibancloud\\d+@sha256:[0-9a-f]{64}$`));
    const done = await emulator.finished(fresh[0].name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', done.output);
    assert.match(done.output ?? '', /V2 ARGS/);
    const [latest] = JSON.parse(result.stdout) as JobView[];
    assert.deepEqual([latest.attempt, latest.image], [2, image]);
  });
});
