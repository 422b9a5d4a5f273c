import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { ArielError } from '../errors.js';
import type { JobLog } from '../http/contract.js';
import { logFile } from '../history/logs.js';
import { FINAL_STATES, ownerGone, type History } from '../history/store.js';

/** One answer carries at most this much of a log; the reader asks again from the offset it gets. */
export const JOB_LOG_CHUNK_BYTES = 256 * 1024;

/** A part of a local job's kept log, as `ariel logs` prints it: the wire's `JobLog`. */
export type JobLogChunk = JobLog;

/**
 * The kept log of a local run's job from `offset` on (its last `JOB_LOG_CHUNK_BYTES` when no
 * offset is given), in whole lines, so a reader can follow it while it grows: each answer's
 * `offset` is where the next begins. A cloud job's log is Cloud Logging's, not Ariel's.
 */
export function readJobLog(history: History, jobId: number, offset?: number): JobLogChunk {
  const job = history.job(jobId);
  if (!job) {
    throw new ArielError(
      'history-not-found',
      `No job with id ${jobId} in the job history.`,
      'List the jobs with GET /cloud/jobs.'
    );
  }
  const group = history.requireGroup(job.group);
  const name = `${job.group}-${job.experiment}`;
  if (group.platform !== 'local') {
    throw new ArielError(
      'unsupported',
      `Job ${name} ran on Vertex AI: its log is kept by Cloud Logging, not by Ariel.`,
      "Open the job's page in the Cloud console."
    );
  }
  // States first: output written before a job ended is read after it.
  const final = FINAL_STATES.has(job.state) || ownerGone(job.owner);
  const file = logFile(history.folder, job.group, job.experiment);
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // No output yet (or none was kept).
  }
  const tail = offset === undefined;
  let start = tail ? Math.max(0, size - JOB_LOG_CHUNK_BYTES) : Math.min(offset, size);
  const bytes = readBytes(file, start, Math.min(size - start, JOB_LOG_CHUNK_BYTES));
  let from = 0;
  if (tail && start > 0) {
    // The tail begins after the first line break, so that no line is shown cut.
    from = bytes.indexOf(0x0a) + 1;
  }
  // A line still being written (or a character cut at the chunk's end) waits for the next answer,
  // unless the log can grow no more.
  let to = bytes.length;
  const lastBreak = bytes.lastIndexOf(0x0a);
  const everything = final && start + bytes.length === size;
  // A line longer than a whole chunk is passed on in pieces, or the reader would never get past it.
  const oneLongLine = lastBreak < from && bytes.length === JOB_LOG_CHUNK_BYTES;
  if (!everything && !oneLongLine) {
    to = lastBreak + 1;
  }
  if (to < from) {
    to = from;
  }
  start += from;
  return {
    job: name,
    text: bytes.subarray(from, to).toString('utf8'),
    start,
    offset: start + (to - from),
    size,
    state: job.state,
    final
  };
}

function readBytes(file: string, start: number, length: number): Buffer {
  if (length <= 0) {
    return Buffer.alloc(0);
  }
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, start);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
