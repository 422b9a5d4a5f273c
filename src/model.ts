import { Poll } from '@lumino/polling';
import { Signal, type ISignal } from '@lumino/signaling';
import type {
  Accelerator,
  AddToProjectResult,
  Build,
  Container,
  DockerfileResponse,
  Handshake,
  ImageRecord,
  ImageSummary,
  KernelDrift,
  ProjectSummary,
  PruneResult,
  Mode,
  Routes
} from './api';
import { BuildLog } from './buildLog';
import { describeError } from './request';
import type { IArielClient, IArielModel, IBuildLog, IListErrors } from './tokens';

/** How often the lists of builds, images and containers are refreshed while the sidebar shows them. */
const REFRESH_MS = 5_000;

/**
 * The state of Ariel for the folder the file browser shows: its project, the machine's builds,
 * images and containers. Polls with backoff, standing by while the page is hidden or nobody
 * looks (`active`); actions refresh at once.
 */
export class ArielModel implements IArielModel {
  constructor(
    readonly client: IArielClient,
    options: { maxLogLines?: number; defaultAccelerator?: Accelerator } = {}
  ) {
    this._maxLogLines = options.maxLogLines ?? 2000;
    this.defaultAccelerator = options.defaultAccelerator ?? 'cpu';
    this._poll = new Poll({
      auto: false,
      factory: () => this._refreshLists(),
      frequency: { interval: REFRESH_MS, backoff: true, max: 60_000 },
      name: 'jupyterlab-ariel:lists',
      standby: () => !this._active || 'when-hidden'
    });
  }

  defaultAccelerator: Accelerator;
  shellCommand = 'ariel shell';

  /** Emitted when anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted with each build started here, once its log is followed. */
  get buildStarted(): ISignal<this, IBuildLog> {
    return this._buildStarted;
  }

  /** The folder (relative to Jupyter's root) whose project is shown. */
  get path(): string {
    return this._path;
  }

  /** A new folder's project is asked for at once while the model is active, else when it becomes active. */
  set path(value: string) {
    if (value === this._path && !this._projectStale) {
      return;
    }
    this._path = value;
    this._projectStale = true;
    if (this._active) {
      void this.refreshProject();
    } else if (this._project) {
      // Not the new folder's: nobody must act on it.
      this._project = null;
      this._projectError = null;
      this._changed.emit();
    }
  }

  get project(): ProjectSummary | null {
    return this._project;
  }

  /** Why the project summary could not be loaded, with what to do. */
  get projectError(): string | null {
    return this._projectError;
  }

  get builds(): readonly Build[] {
    return this._builds;
  }

  get images(): readonly ImageSummary[] {
    return this._images;
  }

  get containers(): readonly Container[] {
    return this._containers;
  }

  get drift(): readonly KernelDrift[] {
    return this._drift;
  }

  /** Why lists could not be loaded, with what to do. */
  get listErrors(): IListErrors {
    return this._listErrors;
  }

  /** Whether something shows the model; it stops polling otherwise. */
  get active(): boolean {
    return this._active;
  }

  set active(value: boolean) {
    this._active = value;
    if (value) {
      if (this._projectStale) {
        void this.refreshProject();
      }
      void this._poll.start().then(() => this._poll.refresh());
    }
  }

  get maxLogLines(): number {
    return this._maxLogLines;
  }

  set maxLogLines(value: number) {
    this._maxLogLines = value;
    this._logs.forEach(log => (log.maxLines = value));
  }

  handshake(): Promise<Handshake> {
    return this.client.request<Handshake>('handshake');
  }

  async refreshProject(): Promise<void> {
    const path = this._path;
    this._projectStale = false;
    try {
      const project = await this.client.request<Routes['GET /project']>('project', { query: { path } });
      if (path === this._path) {
        this._project = project;
        this._projectError = null;
      }
    } catch (error) {
      if (path === this._path) {
        this._project = null;
        this._projectError = describeError(error);
      }
    }
    this._changed.emit();
  }

  /** Refreshes builds, images and containers now. */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  dockerfile(mode: Mode, accelerator: Accelerator, path = this._path): Promise<DockerfileResponse> {
    return this.client.request<Routes['GET /dockerfile']>('dockerfile', { query: { path, mode, accelerator } });
  }

  /**
   * Starts (or joins) the build of the image for `mode` and `accelerator`, and follows its log.
   * `run`: the image is to run on this machine, so a GPU image fails at once without a GPU.
   */
  async build(mode: Mode, accelerator: Accelerator, path = this._path, run = false): Promise<IBuildLog> {
    const { build } = await this.client.request<Routes['POST /builds']>('builds', {
      method: 'POST',
      json: { path, mode, accelerator, run }
    });
    const log = this.follow(build.id);
    this._mergeBuild(build);
    this._buildStarted.emit(log);
    return log;
  }

  /** The live log of a build (one socket per build, however many views show it). */
  follow(id: string): BuildLog {
    let log = this._logs.get(id);
    if (!log) {
      log = new BuildLog(this.client, id, this._maxLogLines);
      this._logs.set(id, log);
      log.changed.connect(this._onLogChanged, this);
    }
    return log;
  }

  async cancelBuild(id: string): Promise<void> {
    await this.client.request<Routes['DELETE /builds/:id']>(`builds/${encodeURIComponent(id)}`, { method: 'DELETE' });
    await this.refresh();
  }

  async removeImage(reference: string): Promise<void> {
    await this.client.request<Routes['DELETE /images/:reference']>(`images/${encodeURIComponent(reference)}`, {
      method: 'DELETE'
    });
    await this.refresh();
  }

  /**
   * Removes the project's images whose content hash is no longer current; resolves with what was
   * removed and what was kept with why. The lists are refreshed whatever happened.
   */
  async prune(): Promise<PruneResult> {
    try {
      return await this.client.request<Routes['POST /images/prune']>('images/prune', {
        method: 'POST',
        json: { path: this._path }
      });
    } finally {
      await this.refresh();
    }
  }

  async stopContainer(id: string): Promise<void> {
    await this.client.request<Routes['DELETE /containers/:id']>(`containers/${encodeURIComponent(id)}`, {
      method: 'DELETE'
    });
    await this.refresh();
  }

  async refreshDrift(): Promise<void> {
    try {
      this._drift = (await this.client.request<Routes['GET /kernels/drift']>('kernels/drift')).kernels;
      this._listErrors = { ...this._listErrors, drift: undefined };
    } catch (error) {
      this._listErrors = { ...this._listErrors, drift: describeError(error) };
    }
    this._changed.emit();
  }

  async addToProject(kernel: KernelDrift): Promise<AddToProjectResult> {
    try {
      return await this.client.request<Routes['POST /kernels/drift/add']>('kernels/drift/add', {
        method: 'POST',
        json: { path: kernel.project ?? this._path, container: kernel.container }
      });
    } finally {
      // The kernel's image is outdated now, and the project's dependency files changed.
      void this.refreshProject();
      await this.refresh();
    }
  }

  imageRecord(reference: string): Promise<ImageRecord> {
    return this.client.request<Routes['GET /images/:reference/record']>(
      `images/${encodeURIComponent(reference)}/record`
    );
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._logs.forEach(log => log.dispose());
    this._logs.clear();
    Signal.clearData(this);
  }

  private async _refreshLists(): Promise<void> {
    // Each list on its own: one failing route does not blank the others.
    const [builds, images, containers, drift] = await Promise.allSettled([
      this.client.request<Routes['GET /builds']>('builds'),
      this.client.request<Routes['GET /images']>('images', { query: { path: this._path } }),
      this.client.request<Routes['GET /containers']>('containers'),
      this.client.request<Routes['GET /kernels/drift']>('kernels/drift')
    ]);
    const errors: IListErrors = {};
    if (builds.status === 'fulfilled') {
      this._builds = builds.value.builds;
      // Builds started elsewhere (a kernel start, another tab) show their live log too.
      this._builds.filter(build => build.state === 'running').forEach(build => this.follow(build.id));
      // The server forgets old builds; so does the browser.
      const listed = new Set(this._builds.map(build => build.id));
      for (const [id, log] of this._logs) {
        if (!listed.has(id) && log.finished) {
          log.dispose();
          this._logs.delete(id);
        }
      }
    } else {
      errors.builds = describeError(builds.reason);
    }
    if (images.status === 'fulfilled') {
      this._images = images.value.images;
    } else {
      errors.images = describeError(images.reason);
    }
    if (containers.status === 'fulfilled') {
      this._containers = containers.value.containers;
    } else {
      errors.containers = describeError(containers.reason);
    }
    if (drift.status === 'fulfilled') {
      this._drift = drift.value.kernels;
    } else {
      errors.drift = describeError(drift.reason);
    }
    this._listErrors = errors;
    this._changed.emit();
    if (Object.keys(errors).length) {
      throw new Error(Object.values(errors).join(' ')); // The poll backs off.
    }
  }

  private _mergeBuild(build: Build): void {
    this._builds = [build, ...this._builds.filter(other => other.id !== build.id)];
    this._changed.emit();
  }

  private _onLogChanged(log: BuildLog): void {
    if (log.build) {
      this._mergeBuild(log.build);
    } else {
      this._changed.emit();
    }
    if (log.finished && !this._ended.has(log.id)) {
      // Images change when a build ends.
      this._ended.add(log.id);
      void this.refresh().catch(() => undefined);
    }
  }

  private _path = '';
  private _project: ProjectSummary | null = null;
  private _projectError: string | null = null;
  /** The project shown is not (yet) the one of `path`. */
  private _projectStale = true;
  private _builds: Build[] = [];
  private _images: ImageSummary[] = [];
  private _containers: Container[] = [];
  private _drift: KernelDrift[] = [];
  private _listErrors: IListErrors = {};
  private _active = false;
  private _maxLogLines: number;
  private _logs = new Map<string, BuildLog>();
  private _ended = new Set<string>();
  private _poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _buildStarted = new Signal<this, IBuildLog>(this);
}
