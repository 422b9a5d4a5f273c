import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { TRAIN_NOTEBOOK } from '../run/testing/notebook.js';

interface DryJob {
  displayName: string;
  command: string[];
  args: string[];
  machineType: string;
  acceleratorType: string | null;
  acceleratorCount: number;
  labels: Record<string, string>;
  image: string;
  notebook?: { path: string; output: string };
}

describe('ariel cloud --dry-run', () => {
  let project: string;
  before(() => {
    project = tempProject(
      { 'requirements.txt': 'six\n', 'trainer/train.py': 'print(1)\n', 'notebooks/train.ipynb': TRAIN_NOTEBOOK },
      'dryproj'
    );
  });
  after(() => removeTempProjects());

  const dryRun = async (...args: string[]) => {
    const result = await runCli(
      ['cloud', 'trainer/train.py', '--project-id', 'p', '--region', 'us-central1', '--dry-run', '--json', ...args],
      { cwd: project, stdin: '{"lr": [0.1, 0.01], "[a,b]": [[1, 2]]}' }
    );
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as DryJob[];
  };

  it('prints every job as ariel run orders its args, with machine, labels (its args too), name and image', async () => {
    const jobs = await dryRun(
      '--experiment-config',
      'stdin',
      '--name',
      'sweep',
      '--label',
      'team=nlp',
      '--',
      '--x',
      '1'
    );
    assert.deepEqual(
      jobs.map(j => j.args),
      [
        ['--x', '1', '--lr', '0.1', '--a', '1', '--b', '2'],
        ['--x', '1', '--lr', '0.01', '--a', '1', '--b', '2']
      ]
    );
    assert.deepEqual(jobs[0].command, ['python', 'trainer/train.py']);
    assert.deepEqual(
      jobs.map(j => j.displayName),
      ['sweep-1', 'sweep-2']
    );
    assert.equal(jobs[1].machineType, 'n1-standard-4');
    assert.equal(jobs[1].acceleratorType, null);
    // The job's arguments become labels too, as Caliban makes them; --label wins over them.
    assert.deepEqual(jobs[1].labels, {
      x: '1',
      lr: '0-01',
      a: '1',
      b: '2',
      team: 'nlp',
      ariel_project: 'dryproj',
      ariel_group: 'sweep',
      ariel_experiment: '2'
    });
    assert.match(jobs[0].image, /^us-central1-docker\.pkg\.dev\/p\/ariel\/dryproj:cloud-cpu-[0-9a-f]{12}$/);
  });

  it('picks the GPU image and fills in accelerators', async () => {
    const [t4] = await dryRun('--gpu');
    assert.deepEqual([t4.acceleratorType, t4.acceleratorCount], ['NVIDIA_TESLA_T4', 1]);
    assert.match(t4.image, /:cloud-gpu-/);
    const [a2] = await dryRun('--gpu', '--machine-type', 'a2-highgpu-4g');
    assert.deepEqual([a2.acceleratorType, a2.acceleratorCount], ['NVIDIA_TESLA_A100', 4]);
    const [l4] = await dryRun('--machine-type', 'g2-standard-24', '--image-repository', '127.0.0.1:5000/team');
    assert.deepEqual([l4.acceleratorType, l4.acceleratorCount], ['NVIDIA_L4', 2]);
    assert.match(l4.image, /^127\.0\.0\.1:5000\/team\/dryproj:cloud-gpu-/);
  });

  it('explains invalid combinations, labels and names', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--accelerator', 'NVIDIA_TESLA_V100', '--accelerator-count', '3'],
        /Valid counts of NVIDIA_TESLA_V100 on n1-standard-4: 1, 2, 4, 8/
      ],
      [['--region', 'mars-1'], /region mars-1.*\n.*--force/],
      [['--label', 'nokey'], /Label "nokey" is not key=value/],
      [['--name', 'My Sweep'], /ariel_group label.*\n.*Use e\.g\. my-sweep\./],
      [['--cpu', '--accelerator', 'NVIDIA_TESLA_T4'], /contradict/]
    ];
    for (const [args, message] of cases) {
      const result = await runCli(
        ['cloud', 'trainer.train', '--project-id', 'p', '--region', 'us-central1', '--dry-run', ...args],
        { cwd: project }
      );
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
    const forced = await runCli(
      ['cloud', 'trainer.train', '--project-id', 'p', '--region', 'mars-1', '--force', '--dry-run'],
      { cwd: project }
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /ariel: warning: region mars-1 is not in Ariel's table/);
  });

  it("plans TPU jobs from a TPU machine type or Caliban's 8xV3, on the CPU image, checked against the table", async () => {
    const [v5e] = await dryRun('--tpu-spec', 'ct5lp-hightpu-4t', '--region', 'us-west1');
    assert.deepEqual(
      [v5e.machineType, v5e.acceleratorType, v5e.acceleratorCount],
      ['ct5lp-hightpu-4t', 'TPU_V5_LITEPOD', 4]
    );
    assert.match(v5e.image, /:cloud-cpu-/);
    const [v3] = await dryRun('--tpu-spec', '8xV3');
    assert.deepEqual([v3.machineType, v3.acceleratorType, v3.acceleratorCount], ['cloud-tpu', 'TPU_V3', 8]);
    const cases: [string[], RegExp][] = [
      [['--tpu-spec', '4xV3'], /cannot carry 4 × TPU_V3.*\n.*Valid counts of TPU_V3 on cloud-tpu: 8/],
      [
        ['--tpu-spec', 'n1-standard-4'],
        /n1-standard-4 is not a TPU machine type.*\n.*TPU machine types: .*8xV3.*ct5lp-hightpu-4t/
      ],
      [
        ['--tpu-spec', 'ct5lp-hightpu-4t', '--region', 'us-east1'],
        /Region us-east1 has no TPU_V5_LITEPOD.*\n.*Regions with TPU_V5_LITEPOD: .*us-west1/
      ],
      [['--tpu-spec', '8xV3', '--gpu'], /'--tpu-spec <spec>' cannot be used with option '--gpu'/]
    ];
    for (const [args, message] of cases) {
      const result = await runCli(
        ['cloud', 'trainer.train', '--project-id', 'p', '--region', 'us-central1', '--dry-run', ...args],
        {
          cwd: project
        }
      );
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message);
    }
  });

  it('plans notebook jobs: typed parameters, the notebook and where its executed copy goes', async () => {
    const result = await runCli(
      [
        'cloud',
        'notebooks/train.ipynb',
        '--project-id',
        'p',
        '--region',
        'us-central1',
        '--name',
        'nbs',
        '--output-dir',
        'gs://bucket/runs/',
        '--experiment-config',
        'stdin',
        '--dry-run',
        '--json'
      ],
      { cwd: project, stdin: '{"lr": [0.1, 0.01], "augment": false}' }
    );
    assert.equal(result.code, 0, result.stderr);
    const jobs = JSON.parse(result.stdout) as DryJob[];
    assert.deepEqual(jobs[1].args, ['--lr', '0.01', '--augment', 'False']);
    assert.deepEqual(jobs[1].notebook, {
      path: 'notebooks/train.ipynb',
      output: 'gs://bucket/runs/nbs/2/train.ipynb'
    });
    assert.deepEqual(jobs[1].command.slice(0, 2), ['python', '-c']);
    assert.deepEqual(jobs[1].command.slice(-2), ['notebooks/train.ipynb', 'gs://bucket/runs/nbs/2/train.ipynb']);

    const noOutput = await runCli(
      ['cloud', 'notebooks/train.ipynb', '--project-id', 'p', '--region', 'us-central1', '--dry-run'],
      { cwd: project }
    );
    assert.equal(noOutput.code, 1);
    assert.match(noOutput.stderr, /no output folder was given.*\n.*--output-dir gs:\/\//);
  });
});

describe('ariel cloud: project and region defaults, as Caliban finds them', () => {
  let project: string;
  let gcloud: string;
  before(() => {
    project = tempProject({ 'requirements.txt': 'six\n', 'trainer/train.py': 'print(1)\n' }, 'defaultsproj');
    gcloud = tempProject({
      active_config: 'work\n',
      'configurations/config_default': '[core]\nproject = not-the-active-one\n',
      'configurations/config_work':
        '[core]\naccount = me@example.com\nproject = gcloud-proj\n\n[compute]\nregion = europe-west4\n'
    });
  });
  after(() => removeTempProjects());

  /** The dry run's first job's image, which names the project and region; or the failed result. */
  const dryRun = async (env: Record<string, string | undefined>, ...args: string[]) => {
    const clean = {
      PROJECT_ID: undefined,
      REGION: undefined,
      GOOGLE_CLOUD_PROJECT: undefined,
      CLOUDSDK_CORE_PROJECT: undefined,
      CLOUDSDK_COMPUTE_REGION: undefined,
      CLOUDSDK_ACTIVE_CONFIG_NAME: undefined,
      CLOUDSDK_CONFIG: gcloud
    };
    return runCli(['cloud', 'trainer/train.py', '--dry-run', '--json', ...args], {
      cwd: project,
      env: { ...clean, ...env }
    });
  };
  const imageOf = (result: CliResult) => {
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as DryJob[])[0].image.split('/').slice(0, 2).join('/');
  };

  it("takes gcloud's active configuration, then the environment, then the flags", async () => {
    assert.equal(imageOf(await dryRun({})), 'europe-west4-docker.pkg.dev/gcloud-proj');
    assert.equal(
      imageOf(await dryRun({ CLOUDSDK_ACTIVE_CONFIG_NAME: 'default', REGION: 'us-east1' })),
      'us-east1-docker.pkg.dev/not-the-active-one'
    );
    assert.equal(imageOf(await dryRun({ GOOGLE_CLOUD_PROJECT: 'adc-proj' })), 'europe-west4-docker.pkg.dev/adc-proj');
    assert.equal(
      imageOf(await dryRun({ GOOGLE_CLOUD_PROJECT: 'adc-proj', PROJECT_ID: 'env-proj', REGION: 'us-west1' })),
      'us-west1-docker.pkg.dev/env-proj'
    );
    assert.equal(
      imageOf(await dryRun({ PROJECT_ID: 'env-proj' }, '--project-id', 'flag-proj', '--region', 'asia-east1')),
      'asia-east1-docker.pkg.dev/flag-proj'
    );
  });

  it('says where it looked when no project or region is found', async () => {
    const empty = tempProject({});
    const noProject = await dryRun({ CLOUDSDK_CONFIG: empty });
    assert.equal(noProject.code, 1);
    assert.match(
      noProject.stderr,
      /No Google Cloud project given, and none found in \$PROJECT_ID, \$GOOGLE_CLOUD_PROJECT, \$CLOUDSDK_CORE_PROJECT, core\/project in gcloud's configuration "default" \(.*config_default\)/
    );
    assert.match(noProject.stderr, /Pass --project-id PROJECT/);
    const noRegion = await dryRun({ CLOUDSDK_CONFIG: empty, PROJECT_ID: 'p' });
    assert.equal(noRegion.code, 1);
    assert.match(
      noRegion.stderr,
      /No Vertex AI region given, and none found in \$REGION, .*compute\/region in gcloud's/
    );
    assert.equal(noRegion.stdout, '');
  });
});
