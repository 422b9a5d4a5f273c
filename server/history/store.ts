import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { CloudJob } from '../cloud/spec.js';
import { ArielError } from '../errors.js';
import { FINAL_JOB_STATES, NOT_SUBMITTED, SUBMITTING } from '../names.js';
import type { LocalJobSpec } from '../run/record.js';
import { loadSqlite } from './native.js';

export { NOT_SUBMITTED, SUBMITTING };
/** States after which a job changes no more. */
export const FINAL_STATES: ReadonlySet<string> = new Set(FINAL_JOB_STATES);
/** Final states that `resubmit` runs again. */
export const RESUBMITTABLE_STATES = new Set([
  NOT_SUBMITTED,
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED'
]);

/** A group of jobs submitted together: one image, one experiment config. */
export interface GroupRecord {
  name: string;
  platform: 'vertex' | 'local';
  projectRoot: string;
  target: string;
  cloudProject: string | null;
  region: string | null;
  /** The image by digest, `repository@sha256:…`. */
  image: string;
  imageDigest: string;
  dockerfile: string;
  /** Python distribution name → version, as pip saw them inside the image. */
  packages: Record<string, string>;
  createdAt: string;
}

/** What a job ran, as planned: a Vertex AI CustomJob (with its worker pools), or a local run. */
export type JobSpec = CloudJob | LocalJobSpec;

interface JobFields {
  id: number;
  group: string;
  /** 1-based index of the experiment in its group. */
  experiment: number;
  /** 1 for the first submission, then one more per resubmission. */
  attempt: number;
  args: string[];
  requestId: string;
  /** The platform's name, e.g. `projects/P/locations/R/customJobs/N`; null until created. */
  remoteName: string | null;
  state: string;
  error: string | null;
  /** `host:pid` of the process that submits it; lets `status` tell a crashed submission from a running one. */
  owner: string;
  createdAt: string;
  updatedAt: string;
}

/** A Vertex AI job: its spec is the CustomJob as planned, worker pools included. */
export interface VertexJobRecord extends JobFields {
  platform: 'vertex';
  spec: CloudJob;
}

/** A job `ariel run` ran on this machine's engine. */
export interface LocalJobRecord extends JobFields {
  platform: 'local';
  spec: LocalJobSpec;
}

/**
 * A job of the history, typed by its group's platform. The platform is the group's column, so
 * histories written before jobs carried pools (or before this type) read the same.
 */
export type JobRecord = VertexJobRecord | LocalJobRecord;

/** The Vertex AI jobs among `jobs`; a local one is an error (it has no CustomJob to submit). */
export function vertexJobs(jobs: JobRecord[]): VertexJobRecord[] {
  return jobs.map(job => {
    if (job.platform !== 'vertex') {
      throw new ArielError(
        'unsupported',
        `Job ${job.spec.displayName} ran locally, not on Vertex AI.`,
        'Only Vertex AI jobs can be submitted to Vertex AI; run local jobs again with ariel run.'
      );
    }
    return job;
  });
}

export interface NewJob {
  experiment: number;
  args: string[];
  spec: JobSpec;
  requestId: string;
}

/** The error for a group name in use, which says how to add to that group instead. */
export function groupExists(name: string): ArielError {
  return new ArielError(
    'cloud-spec-invalid',
    `A job group named ${name} exists already.`,
    'Choose another name for the job group, or pass --append to add these jobs to it.'
  );
}

/** Jobs appended to a group run where its others ran: the same platform, cloud project and region. */
export function checkAppendable(
  existing: GroupRecord,
  adding: Pick<GroupRecord, 'platform' | 'cloudProject' | 'region'>
): void {
  const where = (g: Pick<GroupRecord, 'platform' | 'cloudProject' | 'region'>) =>
    g.platform === 'local' ? 'locally' : `on Vertex AI in ${g.cloudProject}/${g.region}`;
  if (where(existing) !== where(adding)) {
    throw new ArielError(
      'cloud-spec-invalid',
      `Job group ${existing.name} ran ${where(existing)}; these jobs would run ${where(adding)}.`,
      'Add jobs to a group where it runs, or give the new jobs a group of their own.'
    );
  }
}

/** This process, as a job's owner. */
export const OWNER = `${hostname()}:${process.pid}`;

/** Whether the process that owns a job (submits or runs it) is gone (crashed, killed), on this host. */
export function ownerGone(owner: string): boolean {
  const [host, pid] = [owner.slice(0, owner.lastIndexOf(':')), Number(owner.slice(owner.lastIndexOf(':') + 1))];
  if (host !== hostname()) {
    return false; // Another machine's submission: cannot tell.
  }
  if (pid === process.pid) {
    return true; // This process runs one command, which is not that submission.
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS groups (
  name TEXT PRIMARY KEY,
  platform TEXT NOT NULL,
  project_root TEXT NOT NULL,
  target TEXT NOT NULL,
  cloud_project TEXT,
  region TEXT,
  image TEXT NOT NULL,
  image_digest TEXT NOT NULL,
  dockerfile TEXT NOT NULL,
  packages TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS experiments (
  id INTEGER PRIMARY KEY,
  group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  args TEXT NOT NULL,
  UNIQUE (group_name, idx)
);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  request_id TEXT NOT NULL UNIQUE,
  spec TEXT NOT NULL,
  remote_name TEXT,
  state TEXT NOT NULL,
  error TEXT,
  owner TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (experiment_id, attempt)
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
`;

const JOB_COLUMNS = `j.id, e.group_name, g.platform, e.idx, j.attempt, e.args, j.spec, j.request_id, j.remote_name, j.state,
  j.error, j.owner, j.created_at, j.updated_at`;
/** Jobs with their experiments and groups, which JOB_COLUMNS read. */
const JOB_TABLES = 'jobs j JOIN experiments e ON e.id = j.experiment_id JOIN groups g ON g.name = e.group_name';

interface JobRow {
  id: number;
  group_name: string;
  platform: string;
  idx: number;
  attempt: number;
  args: string;
  spec: string;
  request_id: string;
  remote_name: string | null;
  state: string;
  error: string | null;
  owner: string;
  created_at: string;
  updated_at: string;
}

function jobOf(row: JobRow): JobRecord {
  const fields: JobFields = {
    id: row.id,
    group: row.group_name,
    experiment: row.idx,
    attempt: row.attempt,
    args: JSON.parse(row.args) as string[],
    requestId: row.request_id,
    remoteName: row.remote_name,
    state: row.state,
    error: row.error,
    owner: row.owner,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  };
  // The spec was written by the platform's own planner (CloudJob, LocalJobSpec) as JSON.
  return row.platform === 'local'
    ? { ...fields, platform: 'local', spec: JSON.parse(row.spec) as LocalJobSpec }
    : { ...fields, platform: 'vertex', spec: JSON.parse(row.spec) as CloudJob };
}

/** The per-user folder of Ariel's data; ARIEL_DATA_DIR overrides it. */
export async function dataDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.ARIEL_DATA_DIR) {
    return env.ARIEL_DATA_DIR;
  }
  const { default: envPaths } = await import('env-paths');
  return envPaths('ariel', { suffix: '' }).data;
}

/**
 * The job history: groups, their experiments and every submission of each (jobs), in one
 * SQLite file. Every change that spans rows is one transaction, so a crash leaves either
 * all of it or none.
 */
export class History {
  private constructor(
    private readonly db: BetterSqlite3.Database,
    /** The folder of the history's database, where local jobs' logs are kept too. */
    readonly folder: string
  ) {}

  /** Opens (creating) the history in `dir`; better-sqlite3 is loaded only here, by the commands that need it. */
  static async open(dir?: string): Promise<History> {
    const folder = dir ?? (await dataDir());
    mkdirSync(folder, { recursive: true });
    const Database = await loadSqlite();
    const db = new Database(join(folder, 'history.sqlite3'));
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    return new History(db, folder);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Records a group, its experiments and their first jobs (state SUBMITTING) at once. With
   * `append`, a group of that name on the same platform (and cloud project and region) gets the
   * jobs as further experiments (Caliban's `--xgroup`); their numbers must follow its last one.
   */
  recordGroup(group: GroupRecord, jobs: NewJob[], { append = false }: { append?: boolean } = {}): JobRecord[] {
    const insert = this.db.transaction(() => {
      const existing = this.group(group.name);
      if (existing && append) {
        checkAppendable(existing, group);
      } else if (existing) {
        throw groupExists(group.name);
      }
      if (existing) {
        const experiment = this.db.prepare('INSERT INTO experiments (group_name, idx, args) VALUES (?, ?, ?)');
        for (const job of jobs) {
          experiment.run(group.name, job.experiment, JSON.stringify(job.args));
        }
        return this.addAttemptsUnlocked(group.name, jobs);
      }
      this.db
        .prepare(
          `INSERT INTO groups VALUES (@name, @platform, @projectRoot, @target, @cloudProject, @region, @image,
            @imageDigest, @dockerfile, @packages, @createdAt)`
        )
        .run({ ...group, packages: JSON.stringify(group.packages) });
      const experiment = this.db.prepare('INSERT INTO experiments (group_name, idx, args) VALUES (?, ?, ?)');
      for (const job of jobs) {
        experiment.run(group.name, job.experiment, JSON.stringify(job.args));
      }
      return this.addAttemptsUnlocked(group.name, jobs);
    });
    return insert();
  }

  /** The highest experiment number of a group; 0 for a group that has none or does not exist. */
  lastExperiment(groupName: string): number {
    const row = this.db.prepare('SELECT MAX(idx) AS last FROM experiments WHERE group_name = ?').get(groupName) as {
      last: number | null;
    };
    return row.last ?? 0;
  }

  /** New attempts (state SUBMITTING) for experiments of an existing group, in one transaction. */
  addAttempts(groupName: string, jobs: NewJob[]): JobRecord[] {
    return this.db.transaction(() => this.addAttemptsUnlocked(groupName, jobs))();
  }

  private addAttemptsUnlocked(groupName: string, jobs: NewJob[]): JobRecord[] {
    const now = new Date().toISOString();
    const insert = this.db.prepare(
      `INSERT INTO jobs (experiment_id, attempt, request_id, spec, state, owner, created_at, updated_at)
       SELECT e.id, COALESCE((SELECT MAX(attempt) FROM jobs WHERE experiment_id = e.id), 0) + 1, ?, ?, ?, ?, ?, ?
       FROM experiments e WHERE e.group_name = ? AND e.idx = ?`
    );
    return jobs.map(job => {
      const { lastInsertRowid } = insert.run(
        job.requestId,
        JSON.stringify(job.spec),
        SUBMITTING,
        OWNER,
        now,
        now,
        groupName,
        job.experiment
      );
      return this.job(Number(lastInsertRowid))!;
    });
  }

  /** Sets a job's platform name and state; `remoteName` stays as it was when undefined. */
  update(id: number, change: { state: string; remoteName?: string; error?: string | null }): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = @state, remote_name = COALESCE(@remoteName, remote_name),
         error = @error, updated_at = @now WHERE id = @id`
      )
      .run({
        id,
        state: change.state,
        remoteName: change.remoteName ?? null,
        error: change.error ?? null,
        now: new Date().toISOString()
      });
  }

  /**
   * Sets a job's state only if it is in one of `from`; resolves whether it was. Two processes
   * (a run and a stop) can then race on a job without undoing each other's end.
   */
  transition(id: number, from: string[], change: { state: string; error?: string | null }): boolean {
    const { changes } = this.db
      .prepare(
        `UPDATE jobs SET state = @state, error = @error, updated_at = @now
         WHERE id = @id AND state IN (${from.map(() => '?').join(', ')})`
      )
      .run({ id, state: change.state, error: change.error ?? null, now: new Date().toISOString() }, ...from);
    return changes > 0;
  }

  /** Several updates in one transaction (one status poll). */
  updateMany(changes: { id: number; state: string; remoteName?: string; error?: string | null }[]): void {
    this.db.transaction(() => changes.forEach(change => this.update(change.id, change)))();
  }

  group(name: string): GroupRecord | undefined {
    const row = this.db.prepare('SELECT * FROM groups WHERE name = ?').get(name) as
      Record<string, string | null> | undefined;
    return row
      ? {
          name: row.name!,
          platform: row.platform as GroupRecord['platform'],
          projectRoot: row.project_root!,
          target: row.target!,
          cloudProject: row.cloud_project,
          region: row.region,
          image: row.image!,
          imageDigest: row.image_digest!,
          dockerfile: row.dockerfile!,
          packages: JSON.parse(row.packages!) as Record<string, string>,
          createdAt: row.created_at!
        }
      : undefined;
  }

  /** The group of a name, or an error that says how to list them. */
  requireGroup(name: string): GroupRecord {
    const group = this.group(name);
    if (!group) {
      throw new ArielError('history-not-found', `No job group named ${name} in the job history.`);
    }
    return group;
  }

  job(id: number): JobRecord | undefined {
    const row = this.db.prepare(`SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE j.id = ?`).get(id) as
      JobRow | undefined;
    return row ? jobOf(row) : undefined;
  }

  /** A job by its number, its platform name, or its display name; the latest attempt wins. */
  findJob(reference: string): JobRecord | undefined {
    if (/^\d+$/.test(reference)) {
      return this.job(Number(reference));
    }
    const row = this.db
      .prepare(
        `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES}
         WHERE j.remote_name = ? OR json_extract(j.spec, '$.displayName') = ? ORDER BY j.attempt DESC LIMIT 1`
      )
      .get(reference, reference) as JobRow | undefined;
    return row ? jobOf(row) : undefined;
  }

  /**
   * Jobs, oldest group first; with `latestOnly`, only each experiment's latest attempt; with
   * `unfinished`, only jobs not in a final state (read through the state index, so a status of a
   * long history parses only those).
   */
  jobs(options: { group?: string; latestOnly?: boolean; states?: string[]; unfinished?: boolean } = {}): JobRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.group !== undefined) {
      where.push('e.group_name = ?');
      params.push(options.group);
    }
    if (options.latestOnly) {
      where.push('j.attempt = (SELECT MAX(attempt) FROM jobs WHERE experiment_id = j.experiment_id)');
    }
    if (options.unfinished) {
      where.push(`j.state NOT IN (${[...FINAL_STATES].map(() => '?').join(', ')})`);
      params.push(...FINAL_STATES);
    }
    if (options.states) {
      where.push(`j.state IN (${options.states.map(() => '?').join(', ')})`);
      params.push(...options.states);
    }
    const rows = this.db
      .prepare(
        `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES}
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY g.created_at, e.group_name, e.idx, j.attempt`
      )
      .all(...params) as JobRow[];
    return rows.map(jobOf);
  }

  /** The package versions recorded for an image (by digest or id) before, so they need not be read again. */
  packagesOf(imageDigest: string): Record<string, string> | undefined {
    const row = this.db
      .prepare('SELECT packages FROM groups WHERE image_digest = ? ORDER BY created_at DESC LIMIT 1')
      .get(imageDigest) as { packages: string } | undefined;
    return row ? (JSON.parse(row.packages) as Record<string, string>) : undefined;
  }

  groups(): GroupRecord[] {
    return (this.db.prepare('SELECT name FROM groups ORDER BY created_at').all() as { name: string }[]).map(r =>
      this.group(r.name)!
    );
  }
}
