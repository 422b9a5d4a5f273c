import { type Command, Option } from 'commander';
import {
  connectVertex,
  consoleUrl,
  createAppDeps,
  exportJob,
  jobsToResubmit,
  NOT_SUBMITTED,
  openHistory,
  rebuildGroupImage,
  refreshJobs,
  resubmitGroup,
  saveImage,
  stopJobs,
  type Connect,
  type History,
  type JobRecord,
  type JobSelection,
  type SubmitResult
} from '../app/index.js';
import { connectDocker } from '../docker/engine.js';
import { ArielError, CancelledError } from '../errors.js';
import { poolsView } from './cloudPools.js';
import { positiveInt, warn } from './options.js';
import { progressLine, withCloudProgress } from './progress.js';

/**
 * The job history's commands, for local runs and cloud jobs alike: `status`, `stop`, `resubmit`
 * and `export`. They translate options into the application layer's operations (server/app).
 */

/** Vertex AI's JobService of a region (ARIEL_VERTEX_ENDPOINT's in tests). */
const connect: Connect = region => connectVertex(region);

/** Reports what a submission left undone as an error that says how to finish it. */
export function checkComplete(result: SubmitResult, group: string, signal: AbortSignal): void {
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

export function printJobs(
  jobs: JobRecord[],
  json: boolean | undefined,
  out: NodeJS.WritableStream = process.stdout
): void {
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
  const history = await openHistory();
  try {
    return await work(history);
  } finally {
    history.close();
  }
}

/** Registers `status`, `stop`, `resubmit` and `export`; Ctrl-C aborts `signal`. */
export function registerJobCommands(program: Command, signal: AbortSignal): void {
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
        await withHistory(async history => {
          let image: string | undefined;
          if (options.rebuild) {
            const { group, jobs } = await jobsToResubmit(history, connect, options.group, {
              allJobs: options.allJobs
            });
            if (jobs.length > 0) {
              image = await withCloudProgress(onEvent =>
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
            process.stderr.write(`Nothing to resubmit in ${options.group}: no failed, cancelled or unsubmitted job.\n`);
          }
          printJobs(history.jobs({ group: options.group, latestOnly: true }), options.json);
          checkComplete(result, options.group, signal);
        });
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
