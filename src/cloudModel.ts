import { Poll } from '@lumino/polling';
import { Signal, type ISignal } from '@lumino/signaling';
import type {
  CloudCatalog,
  CloudCheck,
  CloudGroup,
  CloudPreview,
  CloudPreviewRequest,
  CloudRequest,
  ErrorBody,
  Routes,
  Submission,
  SubmissionMessage
} from './api';
import { describeError } from './request';
import type { IArielClient, ICloudModel, ISubmissionProgress } from './tokens';

export type { ISubmissionProgress, ISubmittedJob } from './tokens';

/** How often the jobs list asks for states while the sidebar shows it. */
const REFRESH_MS = 5_000;

/** Push statuses of a layer that is in the registry. */
const PUSHED = /^(Pushed|Layer already exists|Mounted from)/;

/** "3 of 7 layers pushed". */
export function pushSummary(layers: Record<string, string>): string {
  const all = Object.values(layers);
  return `${all.filter(status => PUSHED.test(status)).length} of ${all.length} layers pushed`;
}

/** Whether a group has ended: nothing is being submitted and every job's state is final. */
export function groupEnded(group: CloudGroup): boolean {
  return !group.submitting && group.jobs.length > 0 && group.jobs.every(job => job.final);
}

/** The jobs of an ended group that did not succeed. */
export function unsuccessfulJobs(group: CloudGroup): CloudGroup['jobs'] {
  return group.jobs.filter(job => job.state !== 'JOB_STATE_SUCCEEDED');
}

/**
 * Cloud experiments in the sidebar: the machine table, submissions with their progress over the
 * companion's WebSocket, and the job groups with live states, polled with backoff while shown.
 * Raises no UI: it signals when a group it saw running has ended and when a submission fails.
 */
export class CloudModel implements ICloudModel {
  constructor(readonly client: IArielClient) {
    this._poll = new Poll({
      auto: false,
      factory: () => this.refresh(),
      frequency: { interval: REFRESH_MS, backoff: true, max: 60_000 },
      name: 'jupyterlab-ariel:cloud-jobs',
      standby: () => !this._active || 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted once for a group that was seen unfinished and has now ended. */
  get groupEnded(): ISignal<this, CloudGroup> {
    return this._groupEnded;
  }

  /** Emitted when the submission being followed fails, with why. */
  get submissionFailed(): ISignal<this, { group: string; error: ErrorBody }> {
    return this._submissionFailed;
  }

  get catalog(): CloudCatalog | null {
    return this._catalog;
  }

  get groups(): readonly CloudGroup[] {
    return this._groups;
  }

  /** Why the jobs could not be listed, or Vertex AI's warnings; with what to do. */
  get jobsError(): string | null {
    return this._jobsError;
  }

  get progress(): ISubmissionProgress | null {
    return this._progress;
  }

  /** Whether the cloud section is shown: polling stands by otherwise. */
  get active(): boolean {
    return this._active;
  }

  set active(value: boolean) {
    if (value === this._active) {
      return;
    }
    this._active = value;
    if (value) {
      void this._poll.start().then(() => this._poll.refresh());
      if (!this._catalog) {
        void this.loadCatalog();
      }
    }
  }

  async loadCatalog(): Promise<void> {
    try {
      this._catalog = await this.client.request<Routes['GET /cloud/catalog']>('cloud/catalog');
      this._changed.emit();
    } catch (error) {
      this._jobsError = describeError(error);
      this._changed.emit();
    }
  }

  preview(request: CloudPreviewRequest): Promise<CloudPreview> {
    return this.client.request<Routes['POST /cloud/preview']>('cloud/preview', { method: 'POST', json: request });
  }

  /**
   * The submission check: builds (or finds) the cloud image the request would ship and compares
   * it with the notebook's image and the project's running kernels. The submission that follows
   * ships that image without building it again.
   */
  checkEnvironment(request: CloudRequest): Promise<CloudCheck> {
    return this.client.request<Routes['POST /cloud/check']>('cloud/check', { method: 'POST', json: request });
  }

  /** Starts a submission and follows its events; rejects with the server's error when the request is invalid. */
  async submit(request: CloudRequest): Promise<Submission> {
    const { submission } = await this.client.request<Routes['POST /cloud/submissions']>('cloud/submissions', {
      method: 'POST',
      json: request
    });
    this._progress = { submission, phase: 'Starting', layers: {}, jobs: [] };
    this._changed.emit();
    this._follow(submission);
    return submission;
  }

  async cancelSubmission(): Promise<void> {
    if (this._progress?.submission.state === 'running') {
      await this.client.request<Routes['DELETE /cloud/submissions/:id']>(
        `cloud/submissions/${encodeURIComponent(this._progress.submission.id)}`,
        {
          method: 'DELETE'
        }
      );
    }
  }

  async refresh(): Promise<void> {
    try {
      const { groups, warnings } = await this.client.request<Routes['GET /cloud/jobs']>('cloud/jobs');
      this._signalEnded(groups);
      this._groups = groups;
      this._jobsError = warnings.length ? warnings.join(' ') : null;
    } catch (error) {
      this._jobsError = describeError(error);
    }
    this._changed.emit();
  }

  /** Cancels a group's unfinished jobs, or one job (by its id): local runs' and cloud jobs alike. */
  async stop(which: { group: string } | { job: number }): Promise<void> {
    const path =
      'group' in which ? `cloud/groups/${encodeURIComponent(which.group)}/stop` : `cloud/jobs/${which.job}/stop`;
    await this.client.request<Routes['POST /cloud/groups/:name/stop']>(path, { method: 'POST' });
    await this.refresh();
  }

  /** Submits a group's failed, cancelled and unsubmitted jobs again, with the same image digest. */
  async resubmit(group: string): Promise<number> {
    const result = await this.client.request<Routes['POST /cloud/groups/:name/resubmit']>(
      `cloud/groups/${encodeURIComponent(group)}/resubmit`,
      { method: 'POST' }
    );
    this._seenRunning.add(group);
    await this.refresh();
    return result.created.length;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._socket?.close();
    Signal.clearData(this);
  }

  private _follow(submission: Submission): void {
    this._socket?.close();
    const socket = this.client.socket('cloud', 'submissions', submission.id, 'events');
    this._socket = socket;
    socket.onmessage = event => this._apply(JSON.parse(String(event.data)) as SubmissionMessage);
    socket.onclose = () => {
      // A socket lost before the end: the jobs list still shows what was created.
      if (this._progress?.submission.state === 'running') {
        this._progress = { ...this._progress, phase: 'Connection lost; the jobs list shows what was created' };
        this._changed.emit();
      }
      void this.refresh();
    };
  }

  private _apply(event: SubmissionMessage): void {
    const progress = this._progress;
    if (!progress) {
      return;
    }
    const job = (index: number) => progress.jobs.find(j => j.index === index);
    switch (event.type) {
      case 'phase':
        progress.phase = event.detail;
        break;
      case 'step':
        progress.step = { index: event.index, total: event.total, instruction: event.instruction };
        break;
      case 'push':
        progress.layers = { ...progress.layers, [event.layer]: event.status };
        break;
      case 'planned':
        progress.jobs = event.jobs.map(j => ({ ...j, status: 'waiting' }));
        this._seenRunning.add(event.group);
        void this.refresh();
        break;
      case 'created':
        Object.assign(job(event.index) ?? {}, { status: 'created', name: event.name });
        break;
      case 'retry':
        Object.assign(job(event.index) ?? {}, { status: 'retrying', error: event.error });
        break;
      case 'failed':
        Object.assign(job(event.index) ?? {}, { status: 'failed', error: event.error });
        break;
      case 'state':
        progress.submission = event.submission;
        progress.phase = phaseOf(event.submission);
        if (event.submission.state === 'failed' && event.submission.error) {
          this._submissionFailed.emit({ group: event.submission.group, error: event.submission.error });
        }
        break;
    }
    this._progress = { ...progress, jobs: [...progress.jobs] };
    this._changed.emit();
  }

  /** Signals once per group that was seen unfinished and has now ended. */
  private _signalEnded(groups: CloudGroup[]): void {
    for (const group of groups) {
      if (!groupEnded(group)) {
        this._seenRunning.add(group.name);
      } else if (this._seenRunning.delete(group.name)) {
        this._groupEnded.emit(group);
      }
    }
  }

  private _catalog: CloudCatalog | null = null;
  private _groups: CloudGroup[] = [];
  private _jobsError: string | null = null;
  private _progress: ISubmissionProgress | null = null;
  private _active = false;
  private _socket: WebSocket | null = null;
  private readonly _seenRunning = new Set<string>();
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _groupEnded = new Signal<this, CloudGroup>(this);
  private readonly _submissionFailed = new Signal<this, { group: string; error: ErrorBody }>(this);
}

/** What to tell the user about an ended group: whether all its jobs succeeded, and which did not. */
export function endedMessage(group: CloudGroup): { ok: boolean; message: string } {
  const failed = unsuccessfulJobs(group);
  const what = group.platform === 'local' ? 'Local run' : 'Cloud experiment';
  if (failed.length === 0) {
    return { ok: true, message: `${what} ${group.name}: all ${group.jobs.length} job(s) succeeded.` };
  }
  return {
    ok: false,
    message:
      `${what} ${group.name} ended: ${failed.length} of ${group.jobs.length} job(s) did not succeed ` +
      `(${failed.map(job => `#${job.experiment} ${stateLabel(job.state)}`).join(', ')}).` +
      (group.platform === 'local' ? '' : ' Resubmit them from the jobs list.')
  };
}

/** `JOB_STATE_SUCCEEDED` → `succeeded`. */
export function stateLabel(state: string): string {
  return state
    .replace(/^JOB_STATE_/, '')
    .replace(/_/g, ' ')
    .toLowerCase();
}

function phaseOf(submission: Submission): string {
  const outcome = submission.outcome;
  switch (submission.state) {
    case 'running':
      return 'Submitting';
    case 'succeeded':
      return `Submitted: ${outcome?.created ?? 0} job(s) created in ${submission.group}`;
    case 'cancelled':
      return `Cancelled${outcome ? `: ${outcome.created} created, ${outcome.failed + outcome.skipped} not` : ''}`;
    case 'failed':
      return outcome
        ? `${outcome.created} created, ${outcome.failed + outcome.skipped} not created: resubmit them from the jobs list`
        : `Failed: ${submission.error?.message ?? 'see the notification'}`;
  }
}
