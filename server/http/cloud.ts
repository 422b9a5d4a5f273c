import {
  checkCloudImage,
  cloudCatalog,
  CloudSubmissions,
  connectVertex,
  distributedOf,
  errorBody,
  jobSummary,
  listJobGroups,
  openHistory,
  stopJobs,
  type AppDeps,
  type CloudImageCheck,
  type Connect,
  type History,
  type JobSelection
} from '../app/index.js';
import { readJobLog } from '../app/jobLog.js';
import { checkRequest, expandConfigText, jobArgs, type CloudRequest } from '../app/submissions.js';
import { ArielError } from '../errors.js';
import { findProject } from '../project/project.js';
import { resolveTarget, targetCommand } from '../targets/target.js';
import type { CloudCheck, CloudJobs, CloudPreview, ErrorBody, StopResult, SubmissionMessage } from './contract.js';
import { companionId } from './ids.js';
import { relativeTo, resolveFolder } from './project.js';
import { readJson } from './respond.js';
import type { Route } from './routes.js';

/** Jobs listed per preview; the count says how many there are in all. */
const PREVIEW_JOBS = 200;
/** Job groups the jobs list shows, newest first. */
const LISTED_GROUPS = 30;

/** What the cloud routes need: Jupyter's root, the application's deps and (in tests) a JobService. */
export interface CloudRoutesDeps {
  /** Jupyter's root folder (real path): requests name folders inside it. */
  root: string;
  app: AppDeps;
  /** Opens a region's JobService; Vertex AI's (or ARIEL_VERTEX_ENDPOINT's) by default. */
  connect?: Connect;
}

/**
 * The cloud experiments' routes: the machine table, the expansion preview, submissions with
 * their progress, and the job history with live states, cancel and resubmit. They translate;
 * the submissions and the history's operations are the application layer's (server/app).
 */
export function cloudRoutes(deps: CloudRoutesDeps): {
  routes: Route[];
  /** The subscription of a submission's events socket, or undefined for another path. */
  subscription(
    pathname: string
  ):
    | ((send: (message: SubmissionMessage) => void) => { replay: SubmissionMessage[]; unsubscribe: () => void })
    | undefined;
  close(): Promise<void>;
} {
  const env = deps.app.env ?? process.env;
  const connect: Connect = deps.connect ?? (region => connectVertex(region, env));
  let opened: Promise<History> | undefined;
  const history = () => (opened ??= openHistory(env));
  const submissions = new CloudSubmissions({ app: deps.app, history, connect });
  const jobsDeps = async () => ({ history: await history(), docker: deps.app.docker, connect });

  const jobsList = async (only?: string): Promise<CloudJobs> => {
    const busy = (group: string) => submissions.submitting(group);
    const { groups, warnings } = await listJobGroups(await jobsDeps(), { limit: LISTED_GROUPS, only, busy });
    return {
      groups: groups.map(({ group, jobs }) => ({
        name: group.name,
        platform: group.platform,
        target: group.target,
        cloudProject: group.cloudProject,
        region: group.region,
        image: group.image,
        createdAt: group.createdAt,
        submitting: busy(group.name),
        jobs: jobs.map(jobSummary)
      })),
      warnings
    };
  };

  const stop = async (which: JobSelection): Promise<StopResult> => {
    const { stopped, ended, submitting, warnings } = await stopJobs(await jobsDeps(), which);
    return {
      stopped: stopped.map(jobSummary),
      ended: ended.map(jobSummary),
      submitting: submitting.map(jobSummary),
      warnings
    };
  };

  const routes: Route[] = [
    [
      'GET /cloud/catalog',
      /^\/cloud\/catalog$/,
      async () => ({ body: { machineFamilies: cloudCatalog.machineFamilies, regions: cloudCatalog.regions } })
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
    ['GET /cloud/submissions', /^\/cloud\/submissions$/, async () => ({ body: { submissions: submissions.list() } })],
    [
      'POST /cloud/submissions',
      /^\/cloud\/submissions$/,
      async ({ request }) => ({
        status: 202,
        body: { submission: await submissions.start(cloudRequest(deps.root, await readJson(request))) }
      })
    ],
    [
      'GET /cloud/submissions/:id',
      /^\/cloud\/submissions\/([^/]+)$/,
      async ({ params }) => ({ body: { submission: submissions.get(companionId(params[0], 'submission')) } })
    ],
    [
      'DELETE /cloud/submissions/:id',
      /^\/cloud\/submissions\/([^/]+)$/,
      async ({ params }) => ({ body: { submission: await submissions.cancel(companionId(params[0], 'submission')) } })
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
        const result = await submissions.resubmit(params[0]);
        return {
          body: {
            created: result.created.map(jobSummary),
            failed: result.failed.map(jobSummary),
            skipped: result.skipped.map(jobSummary)
          }
        };
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
      const found = companionId(id, 'submission');
      submissions.get(found); // An unknown id is refused before the upgrade.
      return send => submissions.subscribe(found, send);
    },
    async close() {
      await submissions.close();
      if (opened) {
        (await opened).close();
      }
    }
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
