import { type Command, Option } from 'commander';
import {
  createAppDeps,
  refreshJobs,
  stopJobs,
  checkEnvironment,
  describeEnvironmentCheck,
  planCloudExperiment,
  rebuildGroupImage,
  prepareImage,
  submitCloudExperiment,
  type CloudEvent,
  type CloudExperimentRequest,
  type JobSelection
} from '../app/index.js';
import { tpuMachine } from '../cloud/catalog.js';
import { resolveCloudTarget } from '../cloud/defaults.js';
import { exportJob, jobsToResubmit, resubmitGroup, saveImage, type Connect } from '../cloud/jobs.js';
import type { CloudJob } from '../cloud/spec.js';
import type { SubmitEvent, SubmitResult } from '../cloud/submit.js';
import { connectVertex, consoleUrl } from '../cloud/vertex.js';
import { connectDocker } from '../docker/engine.js';
import { ArielError, CancelledError, type ErrorCode } from '../errors.js';
import { loadExperimentArgs } from '../experiments/load.js';
import { History, NOT_SUBMITTED, type JobRecord } from '../history/store.js';
import { findProject } from '../project/project.js';
import {
  addPoolOptions,
  distributedOptions,
  machineText,
  poolsText,
  poolsView,
  type PoolOptions
} from './cloudPools.js';
import { buildProgress, pushProgress } from './progress.js';

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
/** The flag that answers an error of the checks, added to the engine's hint. */
const CLI_FLAGS: Partial<Record<ErrorCode, string>> = {
  'cloud-spec-unknown': '(--force submits anyway.)',
  'cloud-output-missing': 'Pass it as --output-dir gs://my-bucket/ariel.'
};
const repeat = (v: string, all: string[] = []) => [...all, v];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new ArielError('usage', `"${value}" is not a positive whole number.`, 'Give e.g. 1, 2, 4 or 8.');
  }
  return n;
}

function warn(warnings: string[]): void {
  for (const warning of warnings) {
    process.stderr.write(`ariel: warning: ${warning}\n`);
  }
}

/** Ctrl-C stops starting new work; the program's own handler exits on a second one. */
function interruption(): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  };
}

const connect: Connect = region => connectVertex(region);

function progressLine(event: SubmitEvent): string {
  switch (event.type) {
    case 'created':
      return `Created job ${event.index}: ${event.name}${event.adopted ? ' (found after a lost response)' : ''}\n`;
    case 'retry':
      return `Job ${event.index}: ${event.error}; trying again in ${(event.delayMs / 1000).toFixed(1)} s (try ${event.attempt + 1})\n`;
    case 'failed':
      return `Job ${event.index} was not created: ${event.error}\n`;
  }
}

/** Reports what a submission left undone as an error that says how to finish it. */
function checkComplete(result: SubmitResult, group: string, signal: AbortSignal): void {
  const missing = result.failed.length + result.skipped.length;
  const summary = `${result.created.length} created, ${missing} not created`;
  if (signal.aborted) {
    throw new CancelledError(`Interrupted: ${summary}; the history records which (ariel status --group ${group}).`);
  }
  if (missing > 0) {
    throw new ArielError(
      'cloud-submit-incomplete',
      `Job group ${group}: ${summary}.`,
      `See ariel status --group ${group}; submit the rest with: ariel resubmit --group ${group}`
    );
  }
}

function displayName(job: JobRecord): string {
  return job.spec.displayName ?? String(job.id);
}

function jobView(job: JobRecord): Record<string, unknown> {
  return {
    group: job.group,
    platform: job.platform,
    experiment: job.experiment,
    attempt: job.attempt,
    id: job.id,
    state: job.state,
    name: job.remoteName,
    displayName: displayName(job),
    args: job.args,
    image: job.spec.image,
    ...(job.platform === 'vertex' ? poolsView(job.spec) : {}),
    error: job.error,
    output: job.platform === 'local' ? job.spec.output : job.spec.notebook?.output,
    console: job.remoteName ? consoleUrl(job.remoteName) : undefined,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt
  };
}

function printJobs(jobs: JobRecord[], json: boolean | undefined, out: NodeJS.WritableStream = process.stdout): void {
  if (json) {
    out.write(`${JSON.stringify(jobs.map(jobView), null, 2)}\n`);
    return;
  }
  for (const job of jobs) {
    const name = job.remoteName ?? (job.platform === 'vertex' ? '-' : 'local');
    out.write(
      `${job.group}  #${job.experiment}${job.attempt > 1 ? ` (attempt ${job.attempt})` : ''}  ${job.state.replace(/^JOB_STATE_/, '')}  ${name}  ${job.args.join(' ')}${job.error ? `\n    ${job.error}` : ''}\n`
    );
  }
}

/**
 * Asks on stderr and reads one line of standard input, as Caliban's confirmations do: yes only
 * for "y" or "yes". Closed input (a script without --yes) is a no.
 */
async function confirm(question: string): Promise<boolean> {
  process.stderr.write(question);
  const { createInterface } = await import('node:readline');
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    const answer = await new Promise<string>(resolve => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(''));
    });
    if (!process.stdin.isTTY) {
      process.stderr.write(`${answer}\n`);
    }
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    lines.close();
  }
}

async function withHistory<T>(work: (history: History) => Promise<T>): Promise<T> {
  const history = await History.open();
  try {
    return await work(history);
  } finally {
    history.close();
  }
}

async function submit(target: string, args: string[], options: CloudOptions): Promise<void> {
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
    const plan = await inCliWords(() => planCloudExperiment(app, request));
    warn(plan.warnings);
    printDryRun(plan.jobs, options.json);
    return;
  }

  const { signal, dispose } = interruption();
  const history = await History.open();
  try {
    const plan = await inCliWords(() => planCloudExperiment({ ...app, history }, request));
    warn(plan.warnings);
    const { group } = plan;
    const outcome = await withProgress(async progress => {
      if (request.imageTag) {
        // An image given as it is: nothing is built, so there is no record to compare here.
        return submitCloudExperiment({ ...app, history, connect }, plan, { onEvent: progress, signal });
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
      return submitCloudExperiment({ ...app, history, connect }, found, { onEvent: progress, signal });
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
    dispose();
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

/** Adds the flags that answer a checked request's errors: the engine's hints name no flag. */
async function inCliWords<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    const flag = error instanceof ArielError ? CLI_FLAGS[error.code] : undefined;
    if (flag && error instanceof ArielError) {
      throw new ArielError(error.code, error.message, [error.hint, flag].filter(Boolean).join(' '));
    }
    throw error;
  }
}

/** A submission's events on stderr: a spinner (or lines) for the build, then the push, then a line per job. */
async function withProgress<T>(work: (onEvent: (event: CloudEvent) => void) => Promise<T>): Promise<T> {
  const building = await buildProgress();
  const pushing = await pushProgress();
  try {
    return await work(event => {
      if (event.type === 'phase') {
        if (event.phase === 'push') {
          building.stop();
          process.stderr.write(`${event.detail}\n`);
        }
      } else if (event.type === 'planned') {
        pushing.stop();
        process.stderr.write(`Pushed ${event.image}\n`);
      } else if (event.type === 'push') {
        pushing.listener(event);
      } else if (event.type === 'created' || event.type === 'retry' || event.type === 'failed') {
        process.stderr.write(progressLine(event));
      } else {
        building.listener(event);
      }
    });
  } finally {
    building.stop();
    pushing.stop();
  }
}

export function registerCloudCommands(program: Command): void {
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
    .option('--extras <name>', "an extra of the project's package to install (repeatable)", repeat)
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
    .option('--label <key=value>', 'a label on every job (repeatable); sanitised to Vertex AI rules', repeat)
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
    .option('--max-jobs <n>', 'refuse an experiment config that expands to more jobs (default 10000)', positiveInt)
    .option('--dry-run', 'print the jobs without building, pushing or submitting anything')
    .option('--json', 'print jobs as JSON on stdout')
    .option('--force', "accept machine types, accelerators and regions Ariel's table does not know");
  addPoolOptions(cloud).action(submit);

  program
    .command('status')
    .description('list recorded jobs with their current states (asks Vertex AI about unfinished ones)')
    .option('--group <name>', 'only this job group')
    .option('--all', 'every attempt, not only the latest of each experiment')
    .option('--json', 'print JSON on stdout')
    .action(async (options: { group?: string; all?: boolean; json?: boolean }) => {
      await withHistory(async history => {
        if (options.group) {
          history.requireGroup(options.group);
        }
        warn(await refreshJobs({ history, docker: connectDocker(), connect }, options.group));
        const jobs = history.jobs({ group: options.group, latestOnly: !options.all });
        if (options.json) {
          // Each job with the packages its image holds, as recorded when its group was submitted.
          const packages = (group: string) => history.group(group)?.packages ?? null;
          process.stdout.write(
            `${JSON.stringify(
              jobs.map(job => ({ ...jobView(job), packages: packages(job.group) })),
              null,
              2
            )}\n`
          );
          return;
        }
        printJobs(jobs, false);
      });
    });

  program
    .command('stop')
    .description(
      'stop the unfinished jobs of a group, or one job, or (with neither) every unfinished job: local runs and cloud jobs'
    )
    .addOption(new Option('--group <name>', 'every unfinished job of this group').conflicts('job'))
    .addOption(new Option('--job <id>', 'one job: its number, display name or Vertex AI name').conflicts('group'))
    .option('--dry-run', 'print the jobs that would be stopped, and stop nothing')
    .option('--yes', 'stop every unfinished job without asking first (without --group or --job)')
    .action(async (options: { group?: string; job?: string; dryRun?: boolean; yes?: boolean }) => {
      const which: JobSelection =
        options.job !== undefined
          ? { job: options.job }
          : options.group !== undefined
            ? { group: options.group }
            : { all: true };
      await withHistory(async history => {
        const deps = { history, docker: connectDocker(), connect };
        if (which.all && !options.dryRun && !options.yes) {
          const { stopped } = await stopJobs(deps, which, { dryRun: true });
          if (stopped.length === 0) {
            process.stderr.write('No unfinished job to stop.\n');
            return;
          }
          process.stderr.write(`These ${stopped.length} unfinished job(s) will be stopped:\n`);
          printJobs(stopped, false, process.stderr);
          if (!(await confirm('Stop them? [y/N] '))) {
            throw new CancelledError('Nothing stopped.');
          }
        }
        const { stopped, ended, submitting, warnings } = await stopJobs(deps, which, { dryRun: options.dryRun });
        warn(warnings);
        if (which.all) {
          // Every job listed is unfinished: the ended ones of all groups are no news.
        } else {
          for (const job of ended) {
            process.stderr.write(
              job.state === NOT_SUBMITTED
                ? `Job ${displayName(job)} was never submitted.\n`
                : `Job ${displayName(job)} had already ended: ${job.state.replace(/^JOB_STATE_/, '').toLowerCase()}.\n`
            );
          }
        }
        for (const job of submitting) {
          process.stderr.write(
            `Job ${displayName(job)} is still being submitted by process ${job.owner}: not stopped. ` +
              'Interrupt that submission (Ctrl-C), then run ariel stop again.\n'
          );
        }
        if (stopped.length === 0 && (which.all || (ended.length === 0 && submitting.length === 0))) {
          process.stderr.write('No unfinished job to stop.\n');
        }
        if (stopped.length > 0) {
          process.stderr.write(
            options.dryRun ? `Would stop ${stopped.length} job(s):\n` : `Stopped ${stopped.length} job(s):\n`
          );
        }
        printJobs(stopped, false);
      });
    });

  program
    .command('resubmit')
    .description('submit the failed, cancelled and unsubmitted jobs of a group again, with the same image digest')
    .requiredOption('--group <name>', 'job group')
    .option('--all-jobs', 'every job of the group, whatever its state, not only the failed ones')
    .option('--dry-run', 'print the jobs that would be submitted again, and submit nothing')
    .option('--rebuild', "build and push today's code, and run the jobs in that new image (Caliban's resubmit)")
    .option('--concurrency <n>', 'job creations in flight at once', positiveInt, 8)
    .option('--json', 'print the group as JSON on stdout')
    .action(
      async (options: {
        group: string;
        allJobs?: boolean;
        dryRun?: boolean;
        rebuild?: boolean;
        concurrency: number;
        json?: boolean;
      }) => {
        if (options.dryRun) {
          await withHistory(async history => {
            const { jobs } = await jobsToResubmit(history, connect, options.group, { allJobs: options.allJobs });
            process.stderr.write(
              jobs.length === 0
                ? `Nothing to resubmit in ${options.group}: no failed, cancelled or unsubmitted job.\n`
                : `Would submit ${jobs.length} job(s) of ${options.group} again:\n`
            );
            printJobs(jobs, options.json);
          });
          return;
        }
        const { signal, dispose } = interruption();
        try {
          await withHistory(async history => {
            let image: string | undefined;
            if (options.rebuild) {
              const { group, jobs } = await jobsToResubmit(history, connect, options.group, {
                allJobs: options.allJobs
              });
              if (jobs.length > 0) {
                image = await withProgress(onEvent =>
                  rebuildGroupImage(createAppDeps(), group, jobs, { onEvent, signal })
                );
                process.stderr.write(`Pushed ${image}\n`);
              }
            }
            const result = await resubmitGroup(history, connect, options.group, {
              image,
              allJobs: options.allJobs,
              concurrency: options.concurrency,
              signal,
              onEvent: event => process.stderr.write(progressLine(event))
            });
            if (result.created.length + result.failed.length + result.skipped.length === 0) {
              process.stderr.write(
                `Nothing to resubmit in ${options.group}: no failed, cancelled or unsubmitted job.\n`
              );
            }
            printJobs(history.jobs({ group: options.group, latestOnly: true }), options.json);
            checkComplete(result, options.group, signal);
          });
        } finally {
          dispose();
        }
      }
    );

  program
    .command('export')
    .description(
      "write a job's Dockerfile, image digest, args and package versions to a folder, with a script that reruns it"
    )
    .argument('<job>', 'job number, display name or Vertex AI name (see ariel status)')
    .argument('<dir>', 'folder to write')
    .action(async (job: string, dir: string) => {
      await withHistory(async history => {
        const files = exportJob(history, job, dir);
        const group = history.requireGroup(history.findJob(job)!.group);
        if (group.platform === 'local') {
          // In no registry: the folder carries the image itself.
          process.stderr.write(`Saving image ${group.image} (${group.imageDigest}) to ${dir}/image.tar\n`);
          try {
            files.push(await saveImage(connectDocker(), group.imageDigest, dir));
          } catch (error) {
            throw new ArielError(
              'not-found',
              `The image of job ${job} (${group.imageDigest}) is not on this Docker engine any more: ${(error as Error).message}`,
              `The other files are in ${dir}; build the image again from its Dockerfile to run the job.`
            );
          }
        }
        for (const file of files) {
          process.stdout.write(`${dir}/${file}\n`);
        }
      });
    });
}
