import type Docker from 'dockerode';
import { ArielError, CancelledError } from '../errors.js';
import { DOCKERFILE_BUILD_ARG, DOCKERFILE_NAME } from '../dockerfile/generate.js';
import type { ImagePlan } from '../dockerfile/plan.js';
import { collectContext, packContext, type BuildContext } from './context.js';
import { engineError, isNotFound } from './engine.js';
import { ImageRef } from './imageRef.js';
import { LABELS } from './labels.js';

/** What a build reports while it runs; any listener (terminal, kernel log, WebSocket) can render it. */
export type BuildEvent =
  | { type: 'step'; index: number; total: number; instruction: string }
  | { type: 'cached' }
  | { type: 'output'; line: string }
  | {
      type: 'done';
      image: string;
      reused: boolean;
      /** An existing image named with --image: not built. */ given?: true;
    };

export type BuildListener = (event: BuildEvent) => void;

export interface BuildResult {
  /** `repository:tag`; the tag is derived from the content hash. */
  image: ImageRef;
  /** True when an image with the same inputs existed, so nothing was built. */
  reused: boolean;
}

export interface BuildOptions {
  onEvent?: BuildListener;
  signal?: AbortSignal;
  /**
   * The extras the plan was asked for besides the config's. Recorded on the image, so that
   * listing can tell whether it is still what the same request would build.
   */
  extras?: string[];
  /**
   * Build from scratch, as `docker build --no-cache`: no step taken from the cache, and the
   * image built even where one of that name exists, so unpinned dependencies resolve again.
   */
  noCache?: boolean;
}

/**
 * A plan with the files it sends and the image they name: the project is hashed once, and the
 * same result decides both the image's name and, at `ensureImage`, whether it must be built.
 */
export interface ResolvedImage {
  plan: ImagePlan;
  context: BuildContext;
  image: ImageRef;
}

/** How many lines of a failing step's output an error shows. */
const FAILURE_TAIL = 25;

/**
 * Builds images by content: the tag is a hash of the Dockerfile and the files it copies,
 * so an unchanged image is found with one inspect call and never rebuilt.
 * Concurrent requests for the same image share one build and its events.
 */
export class BuildService {
  private readonly inFlight = new Map<string, { promise: Promise<BuildResult>; listeners: Set<BuildListener> }>();

  constructor(
    private readonly docker: Docker,
    /** Reads and hashes a plan's files (replaceable, so that tests can count the reads). */
    private readonly collect: (plan: ImagePlan) => Promise<BuildContext> = collectContext
  ) {}

  /** The plan's files and the image they build to, from its inputs alone (no engine needed). */
  async resolve(plan: ImagePlan): Promise<ResolvedImage> {
    const context = await this.collect(plan);
    return { plan, context, image: imageReference(plan, context.hash) };
  }

  /** The image reference a plan builds to, computed from its inputs alone. */
  async imageFor(plan: ImagePlan): Promise<ImageRef> {
    return (await this.resolve(plan)).image;
  }

  /**
   * Builds the image unless it exists. Given a `resolve` result, the files are not read again:
   * the caller named the image from that very content.
   */
  async ensureImage(target: ImagePlan | ResolvedImage, options: BuildOptions = {}): Promise<BuildResult> {
    const { plan, context, image } = 'context' in target ? target : await this.resolve(target);
    const listener = options.onEvent;

    const running = this.inFlight.get(image.name);
    if (running && !options.noCache) {
      if (listener) {
        running.listeners.add(listener);
      }
      return running.promise;
    }
    const listeners = new Set<BuildListener>(listener ? [listener] : []);
    const emit = (event: BuildEvent) => listeners.forEach(l => l(event));
    const promise = (async () => {
      if (!options.noCache && (await this.exists(image))) {
        emit({ type: 'done', image: image.name, reused: true });
        return { image, reused: true };
      }
      await this.build(plan, context, image, emit, options);
      emit({ type: 'done', image: image.name, reused: false });
      return { image, reused: false };
    })().finally(() => this.inFlight.delete(image.name));
    this.inFlight.set(image.name, { promise, listeners });
    return promise;
  }

  /** One inspect call decides; a first request that cannot connect says the engine is not running. */
  private async exists(image: ImageRef): Promise<boolean> {
    try {
      await this.docker.getImage(image.name).inspect();
      return true;
    } catch (error) {
      if (isNotFound(error)) {
        return false;
      }
      throw engineError(this.docker, error);
    }
  }

  private async build(
    plan: ImagePlan,
    context: BuildContext,
    image: ImageRef,
    emit: BuildListener,
    { signal, extras = [], noCache = false }: BuildOptions
  ): Promise<void> {
    const stream = await this.docker.buildImage(packContext(plan, context), {
      t: image.name,
      dockerfile: DOCKERFILE_NAME,
      // The Dockerfile for the image's own record of it (see DOCKERFILE_BUILD_ARG); not a secret.
      buildargs: { ...plan.buildArgs, [DOCKERFILE_BUILD_ARG]: plan.dockerfile },
      networkmode: plan.network,
      labels: {
        [LABELS.project]: plan.project.root,
        [LABELS.mode]: image.mode,
        [LABELS.accelerator]: image.accelerator,
        [LABELS.extras]: extras.join(',')
      },
      nocache: noCache,
      rm: true,
      forcerm: true,
      abortSignal: signal
    } as Docker.ImageBuildOptions);

    let step = '';
    let tail: string[] = [];
    const secrets = Object.values(plan.buildArgs);
    const redact = (text: string) => secrets.reduce((t, secret) => t.split(secret).join('***'), text);

    await new Promise<void>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new CancelledError('Build cancelled; no image was tagged.')), {
        once: true
      });
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (message: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (message.error) {
            reject(buildFailure(plan, step, tail, redact(message.errorDetail?.message ?? message.error)));
            return;
          }
          for (const raw of (message.stream ?? '').split('\n')) {
            // The classic builder colours RUN steps' stderr (ESC[91m); a log wants plain text.
            // eslint-disable-next-line no-control-regex
            const line = redact(raw.replace(/\x1b\[[0-9;]*m/g, '').trimEnd());
            const stepMatch = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
            if (stepMatch) {
              step = `step ${stepMatch[1]}/${stepMatch[2]}: ${stepMatch[3]}`;
              tail = [];
              emit({
                type: 'step',
                index: Number(stepMatch[1]),
                total: Number(stepMatch[2]),
                instruction: stepMatch[3]
              });
            } else if (line === ' ---> Using cache') {
              emit({ type: 'cached' });
            } else if (line && !/^ ---> |^Removing intermediate container |^Successfully (built|tagged) /.test(line)) {
              tail = [...tail.slice(-(FAILURE_TAIL - 1)), line];
              emit({ type: 'output', line });
            }
          }
        }
      );
    });
  }
}

function imageReference(plan: ImagePlan, hash: string): ImageRef {
  return ImageRef.of(plan.repository, plan.spec.mode, plan.spec.accelerator, hash);
}

function buildFailure(plan: ImagePlan, step: string, tail: string[], error: string): ArielError {
  const base = plan.spec.baseImage;
  if (
    step.includes(`FROM ${base}`) ||
    /pull access denied|manifest unknown|no such host|not found: manifest/.test(error)
  ) {
    return new ArielError(
      'base-image-unavailable',
      `The base image ${base} is not available: ${error}`,
      'Pull it first, or set base_image in .ariel.json (or ARIEL_BASE_IMAGE_CPU / ARIEL_BASE_IMAGE_GPU) to an image this engine has.'
    );
  }
  return new ArielError(
    'build-failed',
    `Build of the ${plan.spec.mode} image failed at ${step || 'the start'}\n${tail.map(line => `  | ${line}`).join('\n')}\n${error}`,
    'Fix the cause above and build the image again.'
  );
}
