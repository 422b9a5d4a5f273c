import { randomUUID } from 'node:crypto';
import { resubmitGroup, type Connect, type ResubmitOptions } from '../cloud/jobs.js';
import type { PushEvent } from '../cloud/registry.js';
import type { SubmitEvent } from '../cloud/submit.js';
import type { BuildEvent } from '../docker/build.js';
import { expandExperimentText, type LoadedExperiments } from '../experiments/load.js';
import type { History } from '../history/store.js';
import { findProject } from '../project/project.js';
import { jobArgsFor } from '../targets/notebook.js';
import { ArielError } from '../errors.js';
import type {
  CloudRequest as CloudRequestBody,
  Submission,
  SubmissionMessage,
  SubmissionOutcome
} from '../http/contract.js';
import { errorBody } from './builds.js';
import { planCloudExperiment, submitCloudExperiment, type CloudEvent, type CloudPlan } from './cloud.js';
import type { AppDeps } from './deps.js';
import { EventLogRegistry, type Subscriber } from './eventLog.js';

/**
 * What the sidebar sends to submit an experiment (the contract's body of POST /cloud/submissions),
 * with its `path` resolved by the caller to the project's folder inside Jupyter's root.
 */
export type CloudRequest = Omit<CloudRequestBody, 'path'> & {
  /** The project's folder, resolved by the caller inside Jupyter's root. */
  folder: string;
};

/** Experiment configs are expanded in the browser's name for them. */
const CONFIG_NAME = 'the experiment config';

/** The config's text expanded; no text is one job without flags. */
export function expandConfigText(text: string): LoadedExperiments | undefined {
  return text.trim() ? expandExperimentText(text, CONFIG_NAME) : undefined;
}

/** Every job's arguments, in `ariel run`'s order: the common args, then the experiment's flags (a notebook's typed). */
export function jobArgs(
  target: string,
  args: string[],
  experiments: LoadedExperiments | undefined
): { index: number; args: string[] }[] {
  const flags = experiments ? jobArgsFor(target, experiments) : [[]];
  return flags.map((more, i) => ({ index: i + 1, args: [...args, ...more] }));
}

/** Checks a request and plans its jobs, as `ariel cloud` does, before anything is built. */
export async function checkRequest(app: AppDeps, history: History, request: CloudRequest): Promise<CloudPlan> {
  const project = findProject(request.folder);
  return planCloudExperiment(
    { ...app, history },
    {
      ...request,
      project,
      cwd: project.root,
      experiments: expandConfigText(request.experimentConfig)
    }
  );
}

/** What a submission's events socket sends the sidebar. */
export type SubmissionEvent =
  | Extract<CloudEvent, { type: 'phase' | 'planned' }>
  | Extract<BuildEvent, { type: 'step' }>
  /** A layer's push status when it changes (Preparing, Pushing, Pushed, Layer already exists). */
  | PushEvent
  | SubmitEvent;

export type { SubmissionOutcome } from '../http/contract.js';

/** Submits a checked request (see submitCloudExperiment), passing on the events the sidebar shows. */
export async function submitExperiment(
  deps: { app: AppDeps; history: History; connect: Connect },
  plan: CloudPlan,
  { onEvent, signal }: { onEvent: (event: SubmissionEvent) => void; signal: AbortSignal }
): Promise<SubmissionOutcome> {
  const statuses = new Map<string, string>();
  const { group, result } = await submitCloudExperiment({ ...deps.app, ...deps }, plan, {
    signal,
    onEvent: event => {
      if (event.type === 'push') {
        // The engine repeats "Pushing" with each chunk's progress; a change of status is news.
        if (statuses.get(event.layer) !== event.status) {
          statuses.set(event.layer, event.status);
          onEvent(event);
        }
      } else if (
        event.type !== 'output' &&
        event.type !== 'check' &&
        event.type !== 'done' &&
        event.type !== 'cached'
      ) {
        onEvent(event);
      }
    }
  });
  return { group, created: result.created.length, failed: result.failed.length, skipped: result.skipped.length };
}

export interface SubmissionsOptions {
  /** Messages kept per submission for replay (default 10,000; build steps replace each other). */
  logLines?: number;
  /** Finished submissions kept for listing (default 20); the job history keeps their groups. */
  keepFinished?: number;
  /** Checks a request and plans its jobs; `checkRequest` by default (tests hand in fakes). */
  check?: typeof checkRequest;
  /** Submits a checked plan; `submitExperiment` by default. */
  submit?: typeof submitExperiment;
}

/**
 * The cloud submissions the companion runs in the background, with their progress for the
 * sidebar, and the groups being submitted: a group is submitted or resubmitted once at a time.
 */
export class CloudSubmissions {
  private readonly log: EventLogRegistry<Submission, SubmissionMessage>;
  /** Groups this server is creating jobs in: their SUBMITTING jobs are not someone's leftovers. */
  private readonly busy = new Set<string>();
  private readonly check: typeof checkRequest;
  private readonly submit: typeof submitExperiment;

  constructor(
    private readonly deps: { app: AppDeps; history: () => Promise<History>; connect: Connect },
    options: SubmissionsOptions = {}
  ) {
    this.check = options.check ?? checkRequest;
    this.submit = options.submit ?? submitExperiment;
    this.log = new EventLogRegistry({
      logLines: options.logLines ?? 10_000,
      keepFinished: options.keepFinished ?? 20,
      // Build steps are many and only the latest matters; the job events are kept for the replay.
      replaces: (last, next) => last.type === 'step' && next.type === 'step',
      notFound: id =>
        new ArielError('not-found', `No submission with id "${id}".`, 'List them with GET /cloud/submissions.')
    });
  }

  /** Whether this server is submitting (or resubmitting) jobs of the group. */
  submitting(group: string): boolean {
    return this.busy.has(group);
  }

  /** Checks the request and plans its jobs, then submits them in the background. */
  async start(request: CloudRequest): Promise<Submission> {
    const history = await this.deps.history();
    const checked = await this.check(this.deps.app, history, request);
    if (this.busy.has(checked.group)) {
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
    this.busy.add(checked.group);
    this.log.start(submission.id, submission, async (publish, signal) => {
      try {
        const outcome = await this.submit({ ...this.deps, history }, checked, { onEvent: publish, signal });
        submission.outcome = outcome;
        submission.state = signal.aborted ? 'cancelled' : outcome.failed > 0 ? 'failed' : 'succeeded';
      } catch (error) {
        submission.state = signal.aborted ? 'cancelled' : 'failed';
        submission.error = errorBody(error);
      }
      this.busy.delete(checked.group);
      submission.finishedAt = new Date().toISOString();
      return [{ type: 'state', submission: { ...submission } }];
    });
    return { ...submission };
  }

  /** The submissions known, newest first. */
  list(): Submission[] {
    return this.log.values().map(submission => ({ ...submission }));
  }

  get(id: string): Submission {
    return { ...this.log.get(id) };
  }

  /** Stops a running submission (jobs created stay) and resolves once it has settled. */
  async cancel(id: string): Promise<Submission> {
    return { ...(await this.log.cancel(id)) };
  }

  /** The submission's messages so far (ending with its state once settled), then the live ones. */
  subscribe(id: string, send: Subscriber<SubmissionMessage>): { replay: SubmissionMessage[]; unsubscribe: () => void } {
    return this.log.subscribe(id, send);
  }

  /**
   * Submits the group's failed, cancelled or never-submitted jobs again (see `resubmitGroup`);
   * refused while the group is being submitted here.
   */
  async resubmit(group: string, options: ResubmitOptions = {}): ReturnType<typeof resubmitGroup> {
    if (this.busy.has(group)) {
      throw new ArielError('conflict', `Job group ${group} is being submitted.`, 'Wait until it is done.');
    }
    this.busy.add(group);
    try {
      return await resubmitGroup(await this.deps.history(), this.deps.connect, group, options);
    } finally {
      this.busy.delete(group);
    }
  }

  /** Stops every running submission and waits until they have settled. */
  close(): Promise<void> {
    return this.log.close();
  }
}
