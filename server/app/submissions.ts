import { planCloudExperiment, submitCloudExperiment, type AppDeps, type CloudEvent, type CloudPlan } from './index.js';
import type { Connect } from '../cloud/jobs.js';
import type { PushEvent } from '../cloud/registry.js';
import type { SubmitEvent } from '../cloud/submit.js';
import type { BuildEvent } from '../docker/build.js';
import { expandExperimentText, type LoadedExperiments } from '../experiments/load.js';
import type { History } from '../history/store.js';
import { findProject } from '../project/project.js';
import { jobArgsFor } from '../run/notebook.js';
import type { CloudRequest as CloudRequestBody, SubmissionOutcome } from '../http/contract.js';

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
