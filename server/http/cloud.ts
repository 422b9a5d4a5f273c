import { randomUUID } from 'node:crypto';
import { checkCloudImage, type AppDeps, type CloudImageCheck } from '../app/index.js';
import { VERTEX_CATALOG } from '../cloud/catalog.js';
import { distributedOf } from '../cloud/pools.js';
import { refreshJobs, stopJobs, type JobSelection } from '../app/jobs.js';
import { readJobLog } from '../app/jobLog.js';
import { resubmitGroup, type Connect } from '../cloud/jobs.js';
import { connectVertex, consoleUrl } from '../cloud/vertex.js';
import { ArielError } from '../errors.js';
import { dataDir, FINAL_STATES, History, type JobRecord } from '../history/store.js';
import { findProject } from '../project/project.js';
import { resolveTarget, targetCommand } from '../run/target.js';
import type { Route } from './app.js';
import { errorBody } from './builds.js';
import type {
  CloudCheck,
  CloudJob as CloudJobView,
  CloudJobs,
  CloudPreview,
  ErrorBody,
  StopResult,
  Submission,
  SubmissionMessage
} from './contract.js';
import { checkRequest, expandConfigText, jobArgs, submitExperiment, type CloudRequest } from './cloudSubmit.js';
import { companionId } from './ids.js';
import { relativeTo, resolveFolder } from './project.js';
import { readJson } from './respond.js';

/** Jobs listed per preview; the count says how many there are in all. */
const PREVIEW_JOBS = 200;
/** Job groups the jobs list shows, newest first. */
const LISTED_GROUPS = 30;

export type { Submission, SubmissionMessage, SubmissionState } from './contract.js';

export type Subscriber = (message: SubmissionMessage) => void;

interface Entry {
  submission: Submission;
  log: SubmissionMessage[];
  subscribers: Set<Subscriber>;
  abort: AbortController;
  settled: Promise<void>;
}

export interface CloudDeps {
  /** Jupyter's root folder (real path): requests name folders inside it. */
  root: string;
  app: AppDeps;
  /** Opens a region's JobService; Vertex AI's (or ARIEL_VERTEX_ENDPOINT's) by default. */
  connect?: Connect;
}

/**
 * The cloud experiments' routes: the machine table, the expansion preview, submissions with
 * their progress, and the job history with live states, cancel and resubmit.
 */
export function cloudRoutes(deps: CloudDeps): {
  routes: Route[];
  /** The subscription of a submission's events socket, or undefined for another path. */
  subscription(
    pathname: string
  ): ((send: Subscriber) => { replay: SubmissionMessage[]; unsubscribe: () => void }) | undefined;
  close(): Promise<void>;
} {
  const env = deps.app.env ?? process.env;
  const connect: Connect = deps.connect ?? (region => connectVertex(region, env));
  let opened: Promise<History> | undefined;
  const history = () => (opened ??= dataDir(env).then(dir => History.open(dir)));
  const entries = new Map<string, Entry>();
  /** Groups this server is creating jobs in: their SUBMITTING jobs are not someone's leftovers. */
  const busy = new Set<string>();

  const entry = (id: string) => {
    const found = entries.get(id);
    if (!found) {
      throw new ArielError('not-found', `No submission with id "${id}".`, 'List them with GET /cloud/submissions.');
    }
    return found;
  };

  const start = async (body: Record<string, unknown>): Promise<Submission> => {
    const store = await history();
    const checked = await checkRequest(deps.app, store, cloudRequest(deps.root, body));
    if (busy.has(checked.group)) {
      throw new ArielError('conflict', `Job group ${checked.group} is being submitted.`, 'Choose another name.');
    }
    const submission: Submission = {
      id: randomUUID(),
      group: checked.group,
      state: 'running',
      jobs: checked.jobs.length,
      warnings: checked.warnings,
      startedAt: new Date().toISOString()
    };
    const abort = new AbortController();
    const item: Entry = { submission, log: [], subscribers: new Set(), abort, settled: Promise.resolve() };
    const publish = (message: SubmissionMessage) => {
      // Build steps are many and only the latest matters; the job events are kept for the replay.
      if (message.type !== 'step' || item.log.at(-1)?.type !== 'step') {
        item.log.push(message);
      } else {
        item.log[item.log.length - 1] = message;
      }
      item.subscribers.forEach(subscriber => subscriber(message));
    };
    busy.add(checked.group);
    item.settled = submitExperiment({ app: deps.app, history: store, connect }, checked, {
      onEvent: publish,
      signal: abort.signal
    })
      .then(
        outcome => {
          submission.outcome = outcome;
          submission.state = abort.signal.aborted ? 'cancelled' : outcome.failed > 0 ? 'failed' : 'succeeded';
        },
        error => {
          submission.state = abort.signal.aborted ? 'cancelled' : 'failed';
          submission.error = errorBody(error);
        }
      )
      .then(() => {
        busy.delete(checked.group);
        submission.finishedAt = new Date().toISOString();
        publish({ type: 'state', submission: { ...submission } });
        item.subscribers.clear();
      });
    entries.set(submission.id, item);
    return { ...submission };
  };

  const jobsList = async (only?: string): Promise<CloudJobs> => {
    const store = await history();
    const groups = store.groups().reverse().slice(0, LISTED_GROUPS);
    const shown = only ? groups.filter(g => g.name === only) : groups;
    const unfinished = new Set(
      store
        .jobs()
        .filter(job => !FINAL_STATES.has(job.state))
        .map(job => job.group)
    );
    const warnings: string[] = [];
    for (const group of shown.filter(g => unfinished.has(g.name) && !busy.has(g.name))) {
      warnings.push(...(await refreshJobs({ history: store, docker: deps.app.docker, connect }, group.name)));
    }
    return {
      groups: shown.map(group => ({
        name: group.name,
        platform: group.platform,
        target: group.target,
        cloudProject: group.cloudProject,
        region: group.region,
        image: group.image,
        createdAt: group.createdAt,
        submitting: busy.has(group.name),
        jobs: store.jobs({ group: group.name, latestOnly: true }).map(jobView)
      })),
      warnings
    };
  };

  const stop = async (which: JobSelection): Promise<StopResult> => {
    const { stopped, ended, submitting, warnings } = await stopJobs(
      { history: await history(), docker: deps.app.docker, connect },
      which
    );
    return { stopped: stopped.map(jobView), ended: ended.map(jobView), submitting: submitting.map(jobView), warnings };
  };

  const routes: Route[] = [
    [
      'GET /cloud/catalog',
      /^\/cloud\/catalog$/,
      async () => ({ body: { machineFamilies: VERTEX_CATALOG.machineFamilies, regions: VERTEX_CATALOG.regions } })
    ],
    [
      'POST /cloud/preview',
      /^\/cloud\/preview$/,
      async ({ request }) => ({ body: preview(deps.root, await readJson(request)) })
    ],
    [
      'POST /cloud/check',
      /^\/cloud\/check$/,
      async ({ request }) => {
        const plan = await checkRequest(deps.app, await history(), cloudRequest(deps.root, await readJson(request)));
        return { body: checkBody(deps.root, await checkCloudImage(deps.app, plan)) };
      }
    ],
    [
      'GET /cloud/submissions',
      /^\/cloud\/submissions$/,
      async () => ({ body: { submissions: [...entries.values()].map(e => ({ ...e.submission })).reverse() } })
    ],
    [
      'POST /cloud/submissions',
      /^\/cloud\/submissions$/,
      async ({ request }) => ({ status: 202, body: { submission: await start(await readJson(request)) } })
    ],
    [
      'GET /cloud/submissions/:id',
      /^\/cloud\/submissions\/([^/]+)$/,
      async ({ params }) => ({ body: { submission: { ...entry(companionId(params[0], 'submission')).submission } } })
    ],
    [
      'DELETE /cloud/submissions/:id',
      /^\/cloud\/submissions\/([^/]+)$/,
      async ({ params }) => {
        const found = entry(companionId(params[0], 'submission'));
        found.abort.abort();
        await found.settled;
        return { body: { submission: { ...found.submission } } };
      }
    ],
    [
      'GET /cloud/jobs',
      /^\/cloud\/jobs$/,
      async ({ url }) => ({ body: await jobsList(url.searchParams.get('group') ?? undefined) })
    ],
    [
      'POST /cloud/groups/:name/stop',
      /^\/cloud\/groups\/([^/]+)\/stop$/,
      async ({ params }) => ({
        body: await stop({ group: params[0] })
      })
    ],
    [
      'POST /cloud/jobs/:id/stop',
      /^\/cloud\/jobs\/([^/]+)\/stop$/,
      async ({ params }) => ({
        body: await stop({ job: params[0] })
      })
    ],
    [
      'GET /cloud/jobs/:id/log',
      /^\/cloud\/jobs\/([^/]+)\/log$/,
      async ({ params, url }) => ({
        body: readJobLog(await history(), jobIdOf(params[0]), offsetOf(url.searchParams.get('offset')))
      })
    ],
    [
      'POST /cloud/groups/:name/resubmit',
      /^\/cloud\/groups\/([^/]+)\/resubmit$/,
      async ({ params }) => {
        const group = params[0];
        if (busy.has(group)) {
          throw new ArielError('conflict', `Job group ${group} is being submitted.`, 'Wait until it is done.');
        }
        busy.add(group);
        try {
          const result = await resubmitGroup(await history(), connect, group);
          return {
            body: {
              created: result.created.map(jobView),
              failed: result.failed.map(jobView),
              skipped: result.skipped.map(jobView)
            }
          };
        } finally {
          busy.delete(group);
        }
      }
    ]
  ];

  return {
    routes,
    subscription(pathname) {
      const match = /^\/cloud\/submissions\/([^/]+)\/events$/.exec(pathname);
      if (!match) {
        return undefined;
      }
      let id: string;
      try {
        id = decodeURIComponent(match[1]);
      } catch {
        throw new ArielError(
          'usage',
          'Malformed URL encoding in the submission id.',
          'Send a submission id as listed.'
        );
      }
      const found = entry(companionId(id, 'submission'));
      return send => {
        const replay = [...found.log];
        if (found.submission.state === 'running') {
          found.subscribers.add(send);
        } else if (replay.at(-1)?.type !== 'state') {
          replay.push({ type: 'state', submission: { ...found.submission } });
        }
        return { replay, unsubscribe: () => found.subscribers.delete(send) };
      };
    },
    async close() {
      const all = [...entries.values()];
      all.forEach(e => e.abort.abort());
      await Promise.all(all.map(e => e.settled));
      if (opened) {
        (await opened).close();
      }
    }
  };
}

/** A job as the sidebar lists it. */
function jobView(job: JobRecord): CloudJobView {
  const spec = job.spec;
  return {
    id: job.id,
    group: job.group,
    experiment: job.experiment,
    attempt: job.attempt,
    displayName: spec.displayName,
    args: job.args,
    state: job.state,
    final: FINAL_STATES.has(job.state),
    remoteName: job.remoteName,
    console: job.remoteName ? (consoleUrl(job.remoteName) ?? null) : null,
    error: job.error,
    updatedAt: job.updatedAt
  };
}

/** The submission check as the browser gets it: kernels' projects relative to Jupyter's root. */
function checkBody(root: string, { check, warnings, ok }: CloudImageCheck): CloudCheck {
  const kernels = check.kernels.map(k => ({
    ...k,
    project: k.project === undefined ? undefined : relativeTo(root, k.project)
  }));
  return { check: { ...check, kernels }, warnings, ok };
}

/** The config's expansion as the sidebar shows it while one types; a config error is data, not a failure. */
function preview(root: string, body: Record<string, unknown>): CloudPreview {
  const args = stringList(body.args, 'args');
  let command: string[] | undefined;
  let targetError: ErrorBody | undefined;
  if (typeof body.target === 'string' && body.target.trim()) {
    try {
      const project = findProject(resolveFolder(root, body.path));
      const target = resolveTarget(project, body.target, project.root);
      // A notebook's command is the runner with the job's output file, known only at submission.
      command = target.kind === 'notebook' ? undefined : targetCommand(target);
    } catch (error) {
      targetError = errorBody(error);
    }
  }
  try {
    const experiments = expandConfigText(optionalString(body.experimentConfig, 'experimentConfig') ?? '');
    const jobs = jobArgs(typeof body.target === 'string' ? body.target : '', args, experiments);
    return {
      count: jobs.length,
      jobs: jobs.slice(0, PREVIEW_JOBS),
      warnings: experiments?.warnings ?? [],
      command,
      targetError
    };
  } catch (error) {
    if (error instanceof ArielError) {
      return { count: 0, jobs: [], warnings: [], command, targetError, error: error.toJSON() };
    }
    throw error;
  }
}

/** The submission's request from its JSON body, every field checked for its type. */
function cloudRequest(root: string, body: Record<string, unknown>): CloudRequest {
  const required = (key: string) => {
    const value = optionalString(body[key], key);
    if (!value?.trim()) {
      throw new ArielError('usage', `"${key}" is missing.`, `Send "${key}" as a non-empty string.`);
    }
    return value.trim();
  };
  const count = body.acceleratorCount;
  if (count !== undefined && count !== null && typeof count !== 'number') {
    throw new ArielError('usage', '"acceleratorCount" must be a number.', 'Send e.g. "acceleratorCount": 1.');
  }
  return {
    folder: resolveFolder(root, body.path),
    target: required('target'),
    args: stringList(body.args, 'args'),
    experimentConfig: optionalString(body.experimentConfig, 'experimentConfig') ?? '',
    projectId: required('projectId'),
    region: required('region'),
    machineType: required('machineType'),
    acceleratorType: optionalString(body.acceleratorType, 'acceleratorType') || undefined,
    acceleratorCount: (count as number | null) ?? undefined,
    labels: stringList(body.labels, 'labels'),
    name: optionalString(body.name, 'name')?.trim() || undefined,
    serviceAccount: optionalString(body.serviceAccount, 'serviceAccount')?.trim() || undefined,
    outputDir: optionalString(body.outputDir, 'outputDir')?.trim() || undefined,
    imageRepository: optionalString(body.imageRepository, 'imageRepository')?.trim() || undefined,
    distributed: distributedOf(body.distributed)
  };
}

function optionalString(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new ArielError('usage', `"${key}" must be a string.`, `Send "${key}" as a JSON string.`);
  }
  return value;
}

function stringList(value: unknown, key: string): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value) || value.some(item => typeof item !== 'string')) {
    throw new ArielError('usage', `"${key}" must be a list of strings.`, `Send e.g. "${key}": ["--epochs", "3"].`);
  }
  return value as string[];
}

/** A job's id in the history: a whole number. */
function jobIdOf(segment: string): number {
  if (!/^[1-9]\d*$/.test(segment)) {
    throw new ArielError('usage', `"${segment}" is not a job id.`, 'Use a job\'s "id" as GET /cloud/jobs lists it.');
  }
  return Number(segment);
}

/** A log offset in bytes, or undefined (the log's last part) when none is given. */
function offsetOf(value: string | null): number | undefined {
  if (value === null) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new ArielError(
      'usage',
      `offset=${value} is not a byte offset.`,
      'Give a whole number: the "offset" of the last answer.'
    );
  }
  return Number(value);
}
