import { setTimeout as sleep } from 'node:timers/promises';
import { NOT_SUBMITTED, vertexJobs, type History, type JobRecord, type VertexJobRecord } from '../history/store.js';
import { customJobMessage } from './spec.js';
import { findByRequest, isRetryable, vertexError, type JobApi } from './vertex.js';

/** What a submission reports per job; a terminal or the sidebar renders it. */
export type SubmitEvent =
  | { type: 'created'; index: number; name: string; adopted: boolean }
  | { type: 'retry'; index: number; attempt: number; delayMs: number; error: string }
  | { type: 'failed'; index: number; error: string };

export interface SubmitOptions {
  parent: string;
  /** Creation requests in flight at once. */
  concurrency?: number;
  /** Further tries after a retryable error (quota, unavailable, deadline). */
  retries?: number;
  /** First backoff delay; it doubles per try, with jitter. */
  backoffMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: SubmitEvent) => void;
}

export interface SubmitResult {
  created: JobRecord[];
  failed: JobRecord[];
  /** Not tried because the submission was interrupted; recorded as NOT_SUBMITTED. */
  skipped: JobRecord[];
}

/**
 * Creates one CustomJob per recorded job (state SUBMITTING), a few at a time. A retry after an
 * error that may hide a created job (a lost response) first looks the job up by its request
 * label, so no job is created twice. Every outcome is written to the history as it happens; on
 * interruption, requests in flight finish and the jobs not started are recorded as not submitted.
 */
export async function submitJobs(
  api: JobApi,
  history: History,
  records: JobRecord[],
  options: SubmitOptions
): Promise<SubmitResult> {
  const { parent, concurrency = 8, retries = 5, backoffMs = 500, signal, onEvent } = options;
  const result: SubmitResult = { created: [], failed: [], skipped: [] };
  const jobs = vertexJobs(records);
  let next = 0;

  const submitOne = async (job: VertexJobRecord): Promise<void> => {
    const index = job.experiment;
    let maybeCreated = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const found = maybeCreated ? await findByRequest(api, parent, job.requestId) : undefined;
        const remote = found ?? (await api.create(parent, customJobMessage(job.spec, job.requestId)));
        history.update(job.id, { state: remote.state, remoteName: remote.name });
        result.created.push(history.job(job.id)!);
        onEvent?.({ type: 'created', index, name: remote.name, adopted: !!found });
        return;
      } catch (error) {
        const message = vertexError(error, `Creating job ${index}`).message;
        if (isRetryable(error) && attempt < retries && !signal?.aborted) {
          maybeCreated = true;
          const delayMs = Math.round(backoffMs * 2 ** attempt * (0.5 + Math.random() / 2));
          onEvent?.({ type: 'retry', index, attempt: attempt + 1, delayMs, error: message });
          await sleep(delayMs);
          continue;
        }
        // Still SUBMITTING when a lost response may have created it: `ariel status` settles it
        // by the request label. Otherwise the job was never created.
        history.update(job.id, {
          state: maybeCreated && isRetryable(error) ? job.state : NOT_SUBMITTED,
          error: message
        });
        result.failed.push(history.job(job.id)!);
        onEvent?.({ type: 'failed', index, error: message });
        return;
      }
    }
  };

  const worker = async (): Promise<void> => {
    while (next < jobs.length && !signal?.aborted) {
      await submitOne(jobs[next++]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));

  result.skipped = jobs.slice(next);
  history.updateMany(
    result.skipped.map(job => ({ id: job.id, state: NOT_SUBMITTED, error: 'The submission was interrupted first.' }))
  );
  result.skipped = result.skipped.map(job => history.job(job.id)!);
  return result;
}
