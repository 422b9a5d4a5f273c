import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ArielError } from '../errors.js';
import { FINAL_STATES, History, logFile, ownerGone, type JobRecord } from '../app/index.js';

const POLL_MS = 300;

function jobNumber(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) {
    throw new ArielError('usage', `"${value}" is not a job number.`, 'Give the number of a job in its group: 1, 2, …');
  }
  return Number(value);
}

/** The bytes of `file` after `offset`; none when it does not exist (yet). */
function readFrom(file: string, offset: number): Buffer {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return Buffer.alloc(0);
  }
  if (size <= offset) {
    return Buffer.alloc(0);
  }
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** A job whose output can grow no more: it ended, or the run that ran it is gone. */
function done(job: JobRecord): boolean {
  return FINAL_STATES.has(job.state) || ownerGone(job.owner);
}

export function registerLogCommands(program: Command, signal: AbortSignal): void {
  program
    .command('logs')
    .description("print the output of a local run's jobs, kept beside the job history")
    .argument('<group>', 'the run (job group) as ariel status lists it')
    .option('--job <n>', 'only job N of the group', jobNumber)
    .option('--follow', 'keep printing new output as it comes, until the jobs end')
    .action(async (group: string, options: { job?: number; follow?: boolean }) => {
      const history = await History.open();
      try {
        const record = history.requireGroup(group);
        if (record.platform !== 'local') {
          throw new ArielError(
            'unsupported',
            `Job group ${group} ran on Vertex AI: its logs are kept by Cloud Logging, not by Ariel.`,
            `Open a job's console page: ariel status --group ${group} --json shows each job's "console".`
          );
        }
        let jobs = history.jobs({ group, latestOnly: true });
        if (options.job !== undefined) {
          jobs = jobs.filter(job => job.experiment === options.job);
          if (jobs.length === 0) {
            throw new ArielError('history-not-found', `Job group ${group} has no job ${options.job}.`);
          }
        }
        const offsets = new Map(jobs.map(job => [job.id, 0]));
        let shown: number | undefined;
        const print = (job: JobRecord): boolean => {
          const bytes = readFrom(logFile(history.folder, group, job.experiment), offsets.get(job.id)!);
          if (bytes.length === 0) {
            return false;
          }
          if (jobs.length > 1 && shown !== job.id) {
            process.stdout.write(`${shown === undefined ? '' : '\n'}==> ${group}-${job.experiment} <==\n`);
          }
          shown = job.id;
          process.stdout.write(bytes);
          offsets.set(job.id, offsets.get(job.id)! + bytes.length);
          return true;
        };
        for (;;) {
          // States first: output written before a job ended is read after it.
          const states = jobs.map(job => history.job(job.id) ?? job);
          let printed = false;
          for (const job of states) {
            printed = print(job) || printed;
          }
          if (!options.follow || signal.aborted || (!printed && states.every(done))) {
            break;
          }
          await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
        }
        if (shown === undefined && !options.follow) {
          process.stderr.write(`No output kept for ${options.job ? `job ${group}-${options.job}` : group}.\n`);
        }
      } finally {
        history.close();
      }
    });
}
