import { type Command, Option } from 'commander';
import {
  checkEnvironment,
  connectVertex,
  createAppDeps,
  describeEnvironmentCheck,
  openHistory,
  planCloudExperiment,
  prepareImage,
  resolveCloudTarget,
  submitCloudExperiment,
  tpuMachine,
  type CloudExperimentRequest,
  type CloudJob,
  type Connect
} from '../app/index.js';
import { ArielError } from '../errors.js';
import { loadExperimentArgs } from '../experiments/load.js';
import { findProject } from '../project/project.js';
import { addPoolOptions, distributedOptions, machineText, poolsText, type PoolOptions } from './cloudPools.js';
import { checkComplete, printJobs } from './jobs.js';
import { maxJobsOption, positiveInt, repeatable, warn } from './options.js';
import { withCloudProgress } from './progress.js';

/** Vertex AI's JobService of a region (ARIEL_VERTEX_ENDPOINT's in tests). */
const vertex: Connect = region => connectVertex(region);

interface CloudOptions extends PoolOptions {
  projectId?: string;
  region?: string;
  project?: string;
  cpu?: boolean;
  gpu?: boolean;
  extras?: string[];
  /** False with `--no-cache`. */
  cache?: boolean;
  experimentConfig?: string;
  machineType?: string;
  tpuSpec?: string;
  accelerator?: string;
  acceleratorCount?: number;
  label?: string[];
  name?: string;
  append?: boolean;
  serviceAccount?: string;
  outputDir?: string;
  imageRepository?: string;
  imageTag?: string;
  concurrency: number;
  maxJobs?: number;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

const DEFAULT_MACHINE = 'n1-standard-4';
async function submit(target: string, args: string[], options: CloudOptions, signal: AbortSignal): Promise<void> {
  if (options.append && options.name === undefined) {
    throw new ArielError(
      'usage',
      '--append adds jobs to a named job group, and no --name was given.',
      'Pass --name NAME.'
    );
  }
  const { projectId, region } = resolveCloudTarget(options);
  const project = findProject(options.project ?? process.cwd());
  if (options.cpu && options.accelerator) {
    throw new ArielError('usage', '--cpu and --accelerator contradict each other.', 'Drop one of them.');
  }
  const experiments =
    options.experimentConfig === undefined
      ? undefined
      : await loadExperimentArgs(options.experimentConfig, { maxJobs: options.maxJobs });
  const tpu = options.tpuSpec === undefined ? undefined : tpuMachine(options.tpuSpec);
  const request: CloudExperimentRequest = {
    project,
    target,
    cwd: process.cwd(),
    args,
    experiments,
    projectId,
    region,
    machineType: tpu?.machineType ?? options.machineType ?? DEFAULT_MACHINE,
    acceleratorType: tpu?.acceleratorType ?? options.accelerator,
    acceleratorCount: tpu?.acceleratorCount ?? options.acceleratorCount,
    distributed: distributedOptions(options),
    gpu: options.gpu,
    force: options.force,
    extras: options.extras,
    noCache: options.cache === false,
    labels: options.label ?? [],
    name: options.name,
    append: options.append,
    serviceAccount: options.serviceAccount,
    outputDir: options.outputDir,
    imageRepository: options.imageRepository,
    imageTag: options.imageTag,
    concurrency: options.concurrency
  };
  const app = createAppDeps();
  if (options.dryRun) {
    const plan = await planCloudExperiment(app, request);
    warn(plan.warnings);
    printDryRun(plan.jobs, options.json);
    return;
  }

  const history = await openHistory();
  try {
    const plan = await planCloudExperiment({ ...app, history }, request);
    warn(plan.warnings);
    const { group } = plan;
    const outcome = await withCloudProgress(async progress => {
      if (request.imageTag) {
        // An image given as it is: nothing is built, so there is no record to compare here.
        return submitCloudExperiment({ ...app, history, connect: vertex }, plan, { onEvent: progress, signal });
      }
      // The image is built first and compared with the notebook's; the submission then finds it,
      // also after --no-cache, which has just rebuilt it.
      const built = await prepareImage(app, plan.image, { onEvent: progress, signal });
      const environment = describeEnvironmentCheck(
        await checkEnvironment(app, {
          project: request.project,
          cloudImage: built.image.name,
          accelerator: plan.image.accelerator
        })
      );
      warn(environment.warnings);
      if (environment.ok) {
        process.stderr.write(`${environment.ok}\n`);
      }
      const found = { ...plan, image: { ...plan.image, noCache: false } };
      return submitCloudExperiment({ ...app, history, connect: vertex }, found, { onEvent: progress, signal });
    });
    if (options.json) {
      printJobs(history.jobs({ group }), true);
    } else {
      process.stderr.write(
        `Job group ${group}: ${outcome.result.created.length} of ${outcome.jobs.length} jobs created. Follow them with: ariel status --group ${group}\n`
      );
    }
    checkComplete(outcome.result, group, signal);
  } finally {
    history.close();
  }
}

/** The planned jobs, as `--dry-run` prints them (JSON: the full specs). */
function printDryRun(jobs: CloudJob[], json: boolean | undefined): void {
  // A notebook's command carries the runner's source: the notebook and its output say more.
  const what = (j: CloudJob) =>
    j.notebook
      ? `${[j.notebook.path, ...j.args].join(' ')} → ${j.notebook.output}`
      : [...j.command, ...j.args].join(' ');
  process.stdout.write(
    json
      ? `${JSON.stringify(jobs, null, 2)}\n`
      : jobs.map(j => `${j.displayName}: ${what(j)} on ${machineText(j)}${poolsText(j)}\n`).join('')
  );
}

export function registerCloudCommands(program: Command, signal: AbortSignal): void {
  const cloud = program
    .command('cloud')
    .description('build the cloud image, push it and submit one Vertex AI custom job per experiment')
    .argument('<target>', 'module (trainer.train), script path (trainer/train.py) or notebook (notebooks/x.ipynb)')
    .argument('[args...]', 'arguments after -- are passed to every job first (a notebook: --name value parameters)')
    .option('--project-id <id>', "Google Cloud project (default: $PROJECT_ID, $GOOGLE_CLOUD_PROJECT, gcloud's project)")
    .option('--region <region>', "Vertex AI region, e.g. us-central1 (default: $REGION, gcloud's compute/region)")
    .option('--project <dir>', 'project folder (default: found from the working directory)')
    .addOption(new Option('--cpu', 'CPU image and machine (default)').conflicts('gpu'))
    .addOption(new Option('--gpu', 'GPU image; NVIDIA_TESLA_T4 unless --accelerator says otherwise').conflicts('cpu'))
    .option('--extras <name>', "an extra of the project's package to install (repeatable)", repeatable)
    .option('--no-cache', 'build the image from scratch, resolving unpinned dependencies again')
    .option('--experiment-config <file>', 'experiment config (JSON), or "stdin"')
    .option('--machine-type <type>', `Vertex AI machine type (default ${DEFAULT_MACHINE})`)
    .option('--accelerator <type>', 'accelerator type, e.g. NVIDIA_TESLA_T4, NVIDIA_L4, NVIDIA_TESLA_A100')
    .addOption(
      new Option('--tpu-spec <spec>', "TPUs: a TPU machine type (ct5lp-hightpu-4t) or Caliban's 8xV3").conflicts([
        'gpu',
        'machineType',
        'accelerator',
        'acceleratorCount'
      ])
    )
    .option('--accelerator-count <n>', 'accelerators per job (default 1, or what the machine type fixes)', positiveInt)
    .option('--label <key=value>', 'a label on every job (repeatable); sanitised to Vertex AI rules', repeatable)
    .option('--name <name>', 'job group name; jobs are NAME-1, NAME-2, … (default: project and time)')
    .option('--append', "add the jobs to the existing group --name names, numbered after its last (Caliban's --xgroup)")
    .option('--service-account <email>', 'service account the jobs run as')
    .option(
      '--output-dir <gs://…>',
      "folder for the jobs' outputs (each job gets NAME/INDEX below it); a notebook job's executed notebook goes there"
    )
    .option('--image-repository <repo>', 'push here instead of REGION-docker.pkg.dev/PROJECT/ariel')
    .addOption(
      new Option(
        '--image-tag <image>',
        'run this image from its registry (best by digest): no build, no push'
      ).conflicts(['imageRepository', 'cache', 'extras'])
    )
    .option('--concurrency <n>', 'job creations in flight at once', positiveInt, 8)
    .addOption(maxJobsOption())
    .option('--dry-run', 'print the jobs without building, pushing or submitting anything')
    .option('--json', 'print jobs as JSON on stdout')
    .option('--force', "accept machine types, accelerators and regions Ariel's table does not know");
  addPoolOptions(cloud).action((target: string, args: string[], options: CloudOptions) =>
    submit(target, args, options, signal)
  );
}
