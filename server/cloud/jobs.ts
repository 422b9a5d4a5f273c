import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { ArielError } from '../errors.js';
import {
  FINAL_STATES,
  NOT_SUBMITTED,
  RESUBMITTABLE_STATES,
  SUBMITTING,
  type GroupRecord,
  type History,
  type JobRecord,
  ownerGone,
  vertexJobs
} from '../history/store.js';
import type { CloudJob } from './spec.js';
import { submitJobs, type SubmitOptions, type SubmitResult } from './submit.js';
import { ARIEL_LABELS } from './labels.js';
import { parentOf, vertexError, type JobApi, type RemoteJob } from './vertex.js';

/** Opens the JobService of a region; one per region and command. */
export type Connect = (region: string) => Promise<JobApi>;

/** A request id for one creation: unique, and a valid label value. */
export function newRequestId(): string {
  return randomUUID();
}

/** Jobs by their group, Vertex AI groups only. */
function byGroup(history: History, jobs: JobRecord[]): Map<GroupRecord, JobRecord[]> {
  const groups = new Map<string, GroupRecord>();
  const result = new Map<GroupRecord, JobRecord[]>();
  for (const job of jobs) {
    const group = groups.get(job.group) ?? history.requireGroup(job.group);
    groups.set(job.group, group);
    if (group.platform === 'vertex' && group.region && group.cloudProject) {
      result.set(group, [...(result.get(group) ?? []), job]);
    }
  }
  return result;
}

/**
 * Asks Vertex AI for the state of every unfinished job and records it: one list call per group
 * (by its ariel_group label), whatever its size. A job left SUBMITTING by a submission that died
 * (kill -9, a crash) is settled: adopted when its request label is found, else recorded as never
 * submitted. Returns warnings for groups that could not be asked about.
 */
export async function refreshStates(history: History, connect: Connect, group?: string): Promise<string[]> {
  return refreshCloudJobs(history, connect, history.jobs({ group, unfinished: true }));
}

/** refreshStates for the given jobs; finished ones and local ones are left alone. */
export async function refreshCloudJobs(history: History, connect: Connect, jobs: JobRecord[]): Promise<string[]> {
  const unfinished = jobs.filter(job => !FINAL_STATES.has(job.state));
  const warnings: string[] = [];
  const clients = new Map<string, JobApi>();
  try {
    for (const [record, jobs] of byGroup(history, unfinished)) {
      const region = record.region!;
      const api = clients.get(region) ?? (await connect(region));
      clients.set(region, api);
      let remote: RemoteJob[];
      try {
        remote = await api.listByLabel(parentOf(record.cloudProject!, region), ARIEL_LABELS.group, record.name);
      } catch (error) {
        warnings.push(vertexError(error, `Asking about job group ${record.name}`).message);
        continue;
      }
      const byName = new Map(remote.map(job => [job.name, job]));
      const byRequest = new Map(remote.map(job => [job.labels?.[ARIEL_LABELS.request], job]));
      const changes = jobs.flatMap(job => {
        if (job.remoteName) {
          const found = byName.get(job.remoteName);
          return found ? [{ id: job.id, state: found.state, error: found.error ?? null }] : [];
        }
        if (!lostSubmission(job)) {
          return [];
        }
        const found = byRequest.get(job.requestId);
        return [
          found
            ? { id: job.id, state: found.state, remoteName: found.name, error: found.error ?? null }
            : { id: job.id, state: NOT_SUBMITTED, error: 'The submission stopped before creating it.' }
        ];
      });
      history.updateMany(changes);
    }
  } finally {
    await Promise.all([...clients.values()].map(api => api.close()));
  }
  return warnings;
}

/** A job whose submission died before it recorded the job's name: Vertex AI may or may not have it. */
export function lostSubmission(job: JobRecord): boolean {
  return job.state === SUBMITTING && !job.remoteName && ownerGone(job.owner);
}

/** Cancels the unfinished Vertex AI jobs among `jobs`; resolves to the jobs asked to stop. */
export async function cancelCloudJobs(history: History, connect: Connect, jobs: JobRecord[]): Promise<JobRecord[]> {
  const stoppable = jobs.filter(job => job.remoteName && !FINAL_STATES.has(job.state));
  const stopped: JobRecord[] = [];
  for (const [record, group] of byGroup(history, stoppable)) {
    const api = await connect(record.region!);
    try {
      for (const job of group) {
        try {
          await api.cancel(job.remoteName!);
        } catch (error) {
          // Finished in the meantime: nothing to stop.
          if ((error as { code?: number }).code !== 9) {
            throw vertexError(error, `Cancelling ${job.remoteName}`);
          }
        }
        const remote = await api.get(job.remoteName!);
        history.update(job.id, { state: remote.state });
        stopped.push(history.job(job.id)!);
      }
    } finally {
      await api.close();
    }
  }
  return stopped;
}

export interface ResubmitSelection {
  /** Every job of the group, whatever its state (Caliban's `--all_jobs`), not only the failed ones. */
  allJobs?: boolean;
}

export interface ResubmitOptions extends Omit<SubmitOptions, 'parent'>, ResubmitSelection {
  /** The image the new attempts run (a rebuild's, by digest); default: the one each job had. */
  image?: string;
}

/**
 * The jobs of a cloud group that a resubmission submits again, their states brought up to date
 * first: the failed, cancelled and never-submitted ones, or with `allJobs` every job (the latest
 * attempt of each experiment). What `resubmit --dry-run` prints.
 */
export async function jobsToResubmit(
  history: History,
  connect: Connect,
  group: string,
  { allJobs = false }: ResubmitSelection = {}
): Promise<{ group: GroupRecord; jobs: JobRecord[] }> {
  const record = history.requireGroup(group);
  if (record.platform !== 'vertex' || !record.region || !record.cloudProject) {
    throw new ArielError(
      'unsupported',
      `Group ${group} did not run on Vertex AI.`,
      'Only cloud groups can be resubmitted.'
    );
  }
  await refreshStates(history, connect, group);
  const latest = history.jobs({ group, latestOnly: true });
  return { group: record, jobs: allJobs ? latest : latest.filter(job => RESUBMITTABLE_STATES.has(job.state)) };
}

/**
 * Submits again the failed, cancelled and never-submitted jobs of a group (with `allJobs`, all of
 * them), each with the very spec it had: the same image digest, unless `image` names a rebuilt one.
 */
export async function resubmitGroup(
  history: History,
  connect: Connect,
  group: string,
  options: ResubmitOptions = {}
): Promise<SubmitResult & { group: GroupRecord }> {
  const { group: record, jobs: again } = await jobsToResubmit(history, connect, group, options);
  // Each attempt keeps its job's spec whole: its worker pools, machines, args and labels.
  const fresh = history.addAttempts(
    group,
    vertexJobs(again).map(job => ({
      experiment: job.experiment,
      args: job.args,
      spec: options.image ? { ...job.spec, image: options.image } : job.spec,
      requestId: newRequestId()
    }))
  );
  const api = await connect(record.region!);
  try {
    const result = await submitJobs(api, history, fresh, {
      ...options,
      parent: parentOf(record.cloudProject!, record.region!)
    });
    return { ...result, group: record };
  } finally {
    await api.close();
  }
}

/** Inside a re-run from an exported folder: where its `output/` folder is mounted. */
const RERUN_OUTPUT = '/ariel-output';

/**
 * Writes what a result needs to be published and run again from the folder alone: the Dockerfile,
 * the image by digest, the command and args, the package versions, and a script that runs it.
 * A local job's image is in no registry: `run.sh` loads it from `image.tar` when the engine lacks
 * it (see saveImage). A notebook job run again writes its executed notebook to `output/`.
 */
export function exportJob(history: History, reference: string, dir: string): string[] {
  const job = history.findJob(reference);
  if (!job) {
    throw new ArielError('history-not-found', `No job ${reference} in the job history.`);
  }
  const group = history.requireGroup(job.group);
  const { spec } = job;
  const local = job.platform === 'local';
  // A local image is known by its id; a cloud one by its registry digest.
  const image = local ? group.imageDigest : group.image;
  const output = job.platform === 'local' ? job.spec.output : job.spec.notebook?.output;
  const pools = job.platform === 'vertex' && job.spec.workers ? distributedNote(job.spec) : [];
  const command = output ? [...spec.command.slice(0, -1), `${RERUN_OUTPUT}/${output.split('/').pop()}`] : spec.command;
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  const files: Record<string, string> = {
    Dockerfile: group.dockerfile,
    'image.txt': `${image}\n`,
    'job.json': `${JSON.stringify(
      {
        group: group.name,
        experiment: job.experiment,
        attempt: job.attempt,
        platform: group.platform,
        remoteName: job.remoteName,
        state: job.state,
        image: group.image,
        imageDigest: group.imageDigest,
        command: spec.command,
        args: job.args,
        spec,
        createdAt: job.createdAt
      },
      null,
      2
    )}\n`,
    'requirements.lock.txt': Object.entries(group.packages)
      .map(([name, version]) => `${name}==${version}\n`)
      .join(''),
    'run.sh': [
      '#!/bin/sh',
      `# Runs job ${group.name}-${job.experiment} again in the exact image it ran in.`,
      ...pools,
      'set -e',
      'here=$(cd "$(dirname "$0")" && pwd)',
      ...(local ? [`docker image inspect ${quote(image)} >/dev/null 2>&1 || docker load -i "$here/image.tar"`] : []),
      ...(output ? ['mkdir -p "$here/output"'] : []),
      `exec docker run --rm ${output ? `-v "$here/output:${RERUN_OUTPUT}" ` : ''}${quote(image)} ${[...command, ...job.args].map(quote).join(' ')} "$@"`,
      ''
    ].join('\n')
  };
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), content, { mode: name === 'run.sh' ? 0o755 : 0o644 });
  }
  return Object.keys(files);
}

/**
 * Saves a local job's image (`docker save`) as `image.tar` in an exported folder, so that the
 * folder alone runs the job again on any engine. Resolves to the file's name.
 */
export async function saveImage(docker: Docker, imageId: string, dir: string, signal?: AbortSignal): Promise<string> {
  const file = join(dir, 'image.tar');
  const stream = (await docker.getImage(imageId).get()) as NodeJS.ReadableStream;
  await pipeline(stream, createWriteStream(file), { signal });
  return 'image.tar';
}

/** run.sh's words for a distributed job: it runs the primary alone; job.json keeps every pool. */
function distributedNote(spec: CloudJob): string[] {
  const workers = spec.workers!;
  const reduction = spec.reductionServers
    ? ` and ${spec.reductionServers.replicaCount} Reduction Server replica(s)`
    : '';
  return [
    `# On Vertex AI it ran distributed: the primary with ${workers.replicaCount} worker(s) on ${workers.machineType}${reduction}`,
    '# (job.json keeps the pools). This script runs the primary alone.'
  ];
}
