import { CommanderError, Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ArielError, CancelledError, type ErrorCode } from '../errors.js';
import {
  createAppDeps,
  experimentWarnings,
  openShell,
  planExperiment,
  planFor,
  prepareImage,
  runExperiment,
  type AppDeps,
  type ImageRequest,
  type Progress
} from '../app/index.js';
import { describeSettings } from '../docker/settings.js';
import { MODES, type Mode } from '../dockerfile/generate.js';
import { DEFAULT_MAX_JOBS } from '../experiments/expand.js';
import { loadExperimentArgs, type LoadedExperiments } from '../experiments/load.js';
import { checkGroupName } from '../cloud/labels.js';
import { History } from '../history/store.js';
import { jobArgsFor } from '../run/notebook.js';
import { SHELLS, type ShellName } from '../run/shell.js';
import type { Accelerator } from '../project/config.js';
import { findProject } from '../project/project.js';
import { registerContainerCommands } from './containers.js';
import { registerImageCommands } from './images.js';
import { registerCloudCommands } from './cloud.js';
import { registerKernelCommands } from './kernels.js';
import { registerLogCommands } from './logs.js';
import { registerLockCommand } from './drift.js';
import { buildProgress } from './progress.js';
import { parseGpusPerJob, runSettingsFrom, runSettingsOptions, type RunSettingsOptions } from './runSettings.js';

interface ImageOptions {
  project?: string;
  gpu?: boolean;
  extras?: string[];
  /** False with `--no-cache`. */
  cache?: boolean;
  /** `--image` of run and shell: an existing image instead of the project's. */
  image?: string;
}

const version = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) {
      process.exit(130);
    }
    process.stderr.write('\nStopping (Ctrl-C again to quit at once)...\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    await createProgram(abort.signal).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return report(error);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode;
  }
  if (error instanceof ArielError) {
    process.stderr.write(`ariel: ${error.message}\n`);
    const hint = error.hint ?? CLI_HINTS[error.code];
    if (hint) {
      process.stderr.write(`  ${hint}\n`);
    }
    return exitCodeOf(error);
  }
  process.stderr.write(`ariel: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
  process.stderr.write(
    process.env.ARIEL_DEBUG
      ? `${(error as Error)?.stack}\n`
      : '  Set ARIEL_DEBUG=1 for details, and please report it.\n'
  );
  return 1;
}

/** What to do, in commands, for errors whose engine hint cannot name one. */
const CLI_HINTS: Partial<Record<ErrorCode, string>> = {
  'history-not-found': 'List the recorded jobs and groups with: ariel status',
  'project-not-found': 'Pass --project with an existing folder.'
};

/** 130 for a cancellation, as shells report Ctrl-C; 1 for every other failure. */
function exitCodeOf(error: ArielError): number {
  return error instanceof CancelledError ? 130 : 1;
}

function imageOptions(command: Command): Command {
  return command
    .option('--project <dir>', 'project folder (default: found from the working directory)')
    .addOption(new Option('--cpu', 'CPU image (default)').conflicts('gpu'))
    .addOption(new Option('--gpu', 'GPU image (CUDA base, GPUs requested at run time)').conflicts('cpu'))
    .option(
      '--extras <name>',
      "an extra of the project's package to install (repeatable)",
      (v: string, all: string[] = []) => [...all, v]
    );
}

/** Caliban's `--no-cache`: the options of commands that build an image to use it. */
function buildOptions(command: Command): Command {
  return command.option('--no-cache', 'build the image from scratch, resolving unpinned dependencies again');
}

/** Caliban's `--image_id`: run and shell in an existing image, built by nothing here. */
function givenImageOption(command: Command): Command {
  return command.option(
    '--image <image>',
    "use this existing image (name:tag, name@sha256:… or an id) instead of building the project's"
  );
}

/** `--image` says which image: options that shape the image built are refused beside it. */
function checkGivenImage(options: ImageOptions): void {
  const building = [options.cache === false && '--no-cache', options.extras?.length && '--extras'].filter(Boolean);
  if (options.image !== undefined && building.length > 0) {
    throw new ArielError(
      'usage',
      `--image uses an existing image, and ${building.join(' and ')} shape the image Ariel would build.`,
      "Leave out --image to build the project's image, or the other options to use the image given."
    );
  }
}

function accelerator(options: ImageOptions): Accelerator {
  return options.gpu ? 'gpu' : 'cpu';
}

function imageRequest(mode: Mode, options: ImageOptions): ImageRequest {
  const project = findProject(options.project ?? process.cwd());
  warn(project.warnings);
  return { project, mode, accelerator: accelerator(options), extras: options.extras, noCache: options.cache === false };
}

/** Warnings are data from the layers below; the CLI prints them on stderr. */
function warn(warnings: string[]): void {
  for (const warning of warnings) {
    process.stderr.write(`ariel: warning: ${warning}\n`);
  }
}

/** Runs an operation with build progress shown on stderr. */
async function withProgress<T>(signal: AbortSignal, operation: (progress: Progress) => Promise<T>): Promise<T> {
  const display = await buildProgress();
  try {
    return await operation({ onEvent: display.listener, signal });
  } finally {
    display.stop();
  }
}

/** The CLI's own way out for errors whose fix is a command: the engine code does not know the commands. */
function inCliWords(error: unknown, command: 'build' | 'run' | 'shell', request: ImageRequest): unknown {
  if (!(error instanceof ArielError)) {
    return error;
  }
  switch (error.code) {
    case 'gpu-unavailable':
      // The way out first: narrow terminals and dialogs cut the line off.
      return new ArielError(error.code, error.message, `Use ariel ${command} --cpu instead; ${error.hint}`);
    case 'build-failed':
      return new ArielError(
        error.code,
        error.message,
        `Fix the cause above, then run: ariel build --mode ${request.mode} --${request.accelerator}`
      );
    default:
      return error;
  }
}

function maxJobsOption(): Option {
  return new Option('--max-jobs <n>', 'refuse an experiment config that expands to more jobs')
    .default(DEFAULT_MAX_JOBS)
    .argParser((value: string) => {
      if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw new InvalidArgumentError('Expected a whole number of at least 1.');
      }
      return Number(value);
    });
}

/** The jobs of an experiment config, its warnings printed. */
async function experimentJobs(file: string, maxJobs: number): Promise<LoadedExperiments> {
  try {
    const loaded = await loadExperimentArgs(file, { maxJobs });
    warn(loaded.warnings);
    return loaded;
  } catch (error) {
    if (error instanceof ArielError && error.code === 'too-many-jobs') {
      throw new ArielError(error.code, error.message, 'Shorten its lists, or pass --max-jobs N to allow up to N jobs.');
    }
    throw error;
  }
}

/**
 * The job history, where local runs are recorded too; a run goes on without it (with a warning)
 * when it cannot be opened, e.g. where the native SQLite module is missing.
 */
async function openHistory(): Promise<History | undefined> {
  try {
    return await History.open();
  } catch (error) {
    warn([`this run is not recorded in the job history: ${(error as Error).message}`]);
    return undefined;
  }
}

function createProgram(signal: AbortSignal): Command {
  const deps: AppDeps = createAppDeps();
  const program = new Command('ariel')
    .description('Reproducible containers for research code: notebooks, local runs and cloud jobs.')
    .version(version)
    .exitOverride()
    .showHelpAfterError();

  imageOptions(
    program
      .command('dockerfile')
      .description('print the Dockerfile for a mode, exactly as it will be built')
      .addOption(new Option('--mode <mode>', 'image mode').choices(MODES).makeOptionMandatory())
  ).action((options: ImageOptions & { mode: Mode }) => {
    process.stdout.write(planFor(deps, imageRequest(options.mode, options)).dockerfile);
  });

  buildOptions(
    imageOptions(
      program
        .command('build')
        .description('build the image for a mode (or find it unchanged); prints its reference last')
        .addOption(new Option('--mode <mode>', 'image mode').choices(MODES).makeOptionMandatory())
    )
  ).action(async (options: ImageOptions & { mode: Mode }) => {
    const request = imageRequest(options.mode, options);
    try {
      const { image } = await withProgress(signal, progress => prepareImage(deps, request, progress));
      process.stdout.write(`${image}\n`);
    } catch (error) {
      throw inCliWords(error, 'build', request);
    }
  });

  const run = imageOptions(
    runSettingsOptions(program.command('run'))
      .description('run a module, script or notebook in the run-mode image, one container per experiment')
      .argument('<target>', 'module (trainer.train), script path (trainer/train.py) or notebook (notebooks/x.ipynb)')
      .argument('[args...]', 'arguments after -- are passed to every job first (a notebook: --name value parameters)')
      .option('--experiment-config <file>', 'experiment config (JSON), or "stdin"')
      .option('--name <name>', 'name of the run in the history; jobs are NAME-1, NAME-2, … (default: project and time)')
      .option('--append', 'add the jobs to the existing run --name names, numbered after its last job')
      .option('--dry-run', 'print the jobs without running anything')
      .option('--json', 'print jobs (with --dry-run) or results as JSON on stdout')
      .option('--gpus-per-job <k>', 'with --gpu: run jobs side by side, each on its own K GPUs', parseGpusPerJob)
      .addOption(maxJobsOption())
  );
  givenImageOption(buildOptions(run)).action(
    async (
      target: string,
      args: string[],
      options: ImageOptions & {
        experimentConfig?: string;
        name?: string;
        append?: boolean;
        dryRun?: boolean;
        json?: boolean;
        maxJobs: number;
        gpusPerJob?: number;
      } & RunSettingsOptions
    ) => {
      checkGivenImage(options);
      const request = imageRequest('run', options);
      const experiments =
        options.experimentConfig === undefined
          ? undefined
          : jobArgsFor(target, await experimentJobs(options.experimentConfig, options.maxJobs));
      const group = options.name === undefined ? undefined : checkGroupName(options.name);
      if (options.append && group === undefined) {
        throw new ArielError(
          'usage',
          '--append adds jobs to a named run, and no --name was given.',
          'Pass --name NAME.'
        );
      }
      const settings = runSettingsFrom(options);
      const { gpusPerJob, append } = options;
      const experiment = {
        ...request,
        target,
        cwd: process.cwd(),
        args,
        experiments,
        group,
        append,
        settings,
        gpusPerJob,
        image: options.image
      };
      warn(experimentWarnings(experiment));
      if (options.dryRun) {
        const plan = await planExperiment(deps, experiment);
        const { jobs } = plan;
        const container = describeSettings(plan.settings);
        process.stdout.write(
          options.json
            ? `${JSON.stringify(
                jobs.map(job => ({ ...job, container })),
                null,
                2
              )}\n`
            : jobs
                .map(j => `job ${j.index}: ${[target, ...j.args].join(' ')}${j.output ? ` → ${j.output}` : ''}\n`)
                .join('')
        );
        return;
      }
      if (experiments?.length === 0) {
        await planExperiment(deps, experiment);
        process.stderr.write('The experiment config expands to no jobs: nothing to build or run.\n');
        return;
      }
      const logs = options.json ? process.stderr : process.stdout;
      let results;
      const history = await openHistory();
      try {
        ({ results } = await withProgress(signal, progress =>
          runExperiment(deps, experiment, { ...progress, stdout: logs, stderr: process.stderr, history })
        ));
      } catch (error) {
        throw inCliWords(error, 'run', request);
      } finally {
        history?.close();
      }
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify(
            results.map(r => ({ ...r.job, exitCode: r.exitCode })),
            null,
            2
          )}\n`
        );
      }
      for (const { job } of results.filter(r => r.job.output)) {
        process.stderr.write(`Job ${job.index}: executed notebook ${job.output}\n`);
      }
      const failed = results.filter(r => r.exitCode !== 0 && !r.stopped);
      const stopped = results.filter(r => r.stopped);
      if (stopped.length > 0 && failed.length === 0) {
        throw new CancelledError(
          `Stopped on request (ariel stop): ${stopped.map(r => `job ${r.job.index}`).join(', ')}.`
        );
      }
      if (failed.length > 0) {
        throw new ArielError(
          'jobs-failed',
          `${failed.length} of ${results.length} jobs failed: ${failed.map(f => `job ${f.job.index} (exit code ${f.exitCode}, args: ${f.job.args.join(' ') || 'none'})`).join('; ')}`,
          'See the lines prefixed with those job numbers above.'
        );
      }
    }
  );

  const shell = imageOptions(
    runSettingsOptions(program.command('shell')).description(
      'open an interactive shell in the shell-mode image, project mounted'
    )
  ).addOption(new Option('--shell <shell>', 'the shell to open').choices(SHELLS).default('bash'));
  givenImageOption(buildOptions(shell)).action(
    async (options: ImageOptions & RunSettingsOptions & { shell: ShellName }) => {
      checkGivenImage(options);
      const request = imageRequest('shell', options);
      const settings = runSettingsFrom(options);
      try {
        // The spinner ends with the image's 'done' event, before the shell takes the terminal.
        process.exitCode = await withProgress(signal, progress =>
          openShell(
            deps,
            { ...request, cwd: process.cwd(), settings, shell: options.shell, image: options.image },
            progress
          )
        );
      } catch (error) {
        throw inCliWords(error, 'shell', request);
      }
    }
  );

  program
    .command('expand')
    .description('print the jobs an experiment config expands to, as a JSON array of argument lists')
    .argument('<file>', 'experiment config (JSON), or "stdin"')
    .addOption(maxJobsOption())
    .action(async (file: string, options: { maxJobs: number }) => {
      process.stdout.write(`${JSON.stringify((await experimentJobs(file, options.maxJobs)).jobs)}\n`);
    });

  registerImageCommands(program, deps);
  registerContainerCommands(program, deps);
  registerKernelCommands(program, deps);
  registerLockCommand(program, deps, signal);
  registerCloudCommands(program);
  registerLogCommands(program, signal);
  return program;
}
