import type Docker from 'dockerode';
import { ArielError } from '../errors.js';
import type { BuildResult, ResolvedImage } from '../docker/build.js';
import { engineError, enginePathPart, ensureEngine, isNotFound, reason } from '../docker/engine.js';
import { ensureGpuAvailable } from '../docker/gpu.js';
import { findGivenImage } from '../docker/existing.js';
import { ImageRef, type GivenImage } from '../docker/imageRef.js';
import { LABELS, labelFilter } from '../docker/labels.js';
import type { Mode } from '../dockerfile/generate.js';
import { planImage, type ImagePlan } from '../dockerfile/plan.js';
import type { Accelerator } from '../project/config.js';
import { findProject, imageNameOf, type Project } from '../project/project.js';
import { readImageRecord, type Distribution } from '../drift/record.js';
import { listContainers } from './containers.js';
import type { AppDeps, Progress } from './deps.js';

/** Which image: a project's image for a mode and accelerator, with extras besides the config's. */
export interface ImageRequest {
  project: Project;
  mode: Mode;
  accelerator: Accelerator;
  extras?: string[];
  /**
   * The image is to be run on this engine: a GPU image then needs containers that can get a
   * GPU, which is checked before building. (A GPU image built to be pushed needs no GPU here.)
   */
  willRun?: boolean;
  /** A run or cloud image that executes notebooks (a kernel and nbclient added). */
  notebookRunner?: boolean;
  /** Build from scratch even where the image exists (`--no-cache`). */
  noCache?: boolean;
}

/** The build plan (the Dockerfile and how to build it); pure, no engine needed. */
export function planFor(deps: AppDeps, request: ImageRequest): ImagePlan {
  const { project, mode, accelerator, extras, notebookRunner } = request;
  return planImage(project, { mode, accelerator, extras, env: deps.env, notebookRunner });
}

/**
 * The request's plan, the files it sends and the image they build to; no engine needed. Hand it
 * to `prepareImage` to check and build that image without hashing the project again.
 */
export async function resolveImage(deps: AppDeps, request: ImageRequest): Promise<ResolvedImage> {
  return deps.builds.resolve(planFor(deps, request));
}

/** The image the request builds to, from the project's files alone; no engine needed. */
export async function imageFor(deps: AppDeps, request: ImageRequest): Promise<ImageRef> {
  return (await resolveImage(deps, request)).image;
}

/**
 * Makes sure the requested image exists: plans it (config errors first, before the engine is
 * asked anything), checks the engine and, for a GPU image that will run here, that containers
 * can get a GPU, then builds it or finds it unchanged. Concurrent calls for one image share
 * its build and events. With `resolved` (from `resolveImage` of the same request), the project
 * is neither planned nor hashed again.
 */
export async function prepareImage(
  deps: AppDeps,
  request: ImageRequest,
  { onEvent, signal, resolved }: Progress & { resolved?: ResolvedImage } = {}
): Promise<BuildResult> {
  const target = resolved ?? planFor(deps, request);
  onEvent?.({ type: 'check', check: 'engine' });
  await ensureEngine(deps.docker);
  if (request.willRun && request.accelerator === 'gpu') {
    onEvent?.({ type: 'check', check: 'gpu' });
    await ensureGpuAvailable(deps.docker);
  }
  return deps.builds.ensureImage(target, { onEvent, signal, extras: request.extras, noCache: request.noCache });
}

/**
 * `prepareImage` for an existing image named with `--image`: the same checks (the engine answers;
 * a GPU container can get a GPU), then the image found or pulled, never built.
 */
export async function useGivenImage(
  deps: AppDeps,
  image: GivenImage,
  { onEvent, signal }: Progress = {}
): Promise<GivenImage> {
  onEvent?.({ type: 'check', check: 'engine' });
  await ensureEngine(deps.docker);
  if (image.accelerator === 'gpu') {
    onEvent?.({ type: 'check', check: 'gpu' });
    await ensureGpuAvailable(deps.docker);
  }
  const found = await findGivenImage(deps.docker, image, signal);
  onEvent?.({ type: 'done', image: found.name, reused: true, given: true });
  return found;
}

/** One tag of an image Ariel built; plain data, ready for JSON. */
export interface ImageInfo {
  /** `repository:tag`, e.g. `ariel/digits:run-cpu-0123456789ab` */
  name: string;
  /** The engine's image id; several tags may share one. */
  id: string;
  mode: Mode;
  accelerator: Accelerator;
  /** Root folder of the project it was built from. */
  project: string;
  /** Extras it was built with besides the config's. */
  extras: string[];
  /** Bytes, shared layers counted in full. */
  size: number;
  /** ISO 8601. */
  created: string;
  /**
   * Whether the same request (project, mode, accelerator, extras) builds this very image
   * today; null when that cannot be told (the project folder is gone or its config invalid).
   */
  current: boolean | null;
  /**
   * The distributions the image records (see RECORD_DIR), when asked for (`withPackages`);
   * null for an image built before images recorded them.
   */
  packages?: Distribution[] | null;
}

export interface ImageFilter {
  /** Only the images of the project with this root folder. */
  project?: string;
}

export interface ListOptions extends ImageFilter {
  /** Read each image's record of its distributions (one cheap read per image, cached by id). */
  withPackages?: boolean;
}

/** Ariel's images (by their labels and tags), each tag once, with whether it is current. */
export async function listImages(deps: AppDeps, filter: ListOptions = {}): Promise<ImageInfo[]> {
  let summaries: Docker.ImageInfo[];
  try {
    summaries = await deps.docker.listImages({
      filters: { label: [labelFilter(LABELS.project, filter.project)] }
    });
  } catch (error) {
    throw engineError(deps.docker, error);
  }
  const found = summaries.flatMap(summary => imagesOf(summary));
  const currentNames = new Map<string, Promise<string | null>>();
  const currentName = (image: Omit<ImageInfo, 'current'>) => {
    const key = JSON.stringify([image.project, image.mode, image.accelerator, image.extras]);
    if (!currentNames.has(key)) {
      currentNames.set(key, currentImageName(deps, image));
    }
    return currentNames.get(key)!;
  };
  const images = await Promise.all(
    found.map(async image => {
      const current = await currentName(image);
      const info: ImageInfo = { ...image, current: current === null ? null : current === image.name };
      if (filter.withPackages) {
        // A record that cannot be read (the image went meanwhile) leaves the list whole.
        info.packages = (await readImageRecord(deps.docker, image.id).catch(() => null))?.packages ?? null;
      }
      return info;
    })
  );
  return images.sort(
    (a, b) =>
      a.project.localeCompare(b.project) ||
      a.mode.localeCompare(b.mode) ||
      a.accelerator.localeCompare(b.accelerator) ||
      b.created.localeCompare(a.created) ||
      // The engine counts creation in whole seconds: of two images built within one, the
      // current one is the newer (a stale one was current before it).
      Number(b.current === true) - Number(a.current === true)
  );
}

/** The tags of one engine image that are Ariel's: the repository its project label names. */
function imagesOf(summary: Docker.ImageInfo): Omit<ImageInfo, 'current'>[] {
  const labels = summary.Labels ?? {};
  const project = labels[LABELS.project];
  if (!project) {
    return [];
  }
  const repository = imageNameOf({ root: project });
  return (summary.RepoTags ?? []).flatMap(tag => {
    const ref = ImageRef.parse(tag);
    if (!ref || ref.repository !== repository) {
      return [];
    }
    return [
      {
        name: ref.name,
        id: summary.Id,
        mode: ref.mode,
        accelerator: ref.accelerator,
        project,
        extras: (labels[LABELS.extras] ?? '').split(',').filter(Boolean),
        size: summary.Size,
        created: new Date(summary.Created * 1000).toISOString()
      }
    ];
  });
}

/** What the image's request builds to today; null when the project cannot be planned any more. */
async function currentImageName(deps: AppDeps, image: Omit<ImageInfo, 'current'>): Promise<string | null> {
  try {
    const project = findProject(image.project);
    if (project.root !== image.project) {
      return null;
    }
    const { mode, accelerator, extras } = image;
    return (await imageFor(deps, { project, mode, accelerator, extras })).name;
  } catch (error) {
    if (error instanceof ArielError) {
      return null;
    }
    throw error;
  }
}

/** The images prune removes: those known to be no longer current. Unknown ones are kept. */
export function staleImages(images: ImageInfo[]): ImageInfo[] {
  return images.filter(image => image.current === false);
}

/**
 * Removes one of Ariel's image tags (the layers go when no other tag or container uses them).
 * A name that is not an Ariel image is refused, so no other image can be removed this way.
 */
export async function removeImage(deps: AppDeps, name: string): Promise<void> {
  const ref = ImageRef.parse(name);
  const notFound = () =>
    new ArielError(
      'not-found',
      `${name} is not an image Ariel built.`,
      'List them with their names (ariel/<project>:<mode>-<cpu|gpu>-<hash>) first.'
    );
  if (!ref) {
    throw notFound();
  }
  const image = deps.docker.getImage(enginePathPart(ref.name));
  try {
    const info = await image.inspect();
    if (!info.Config?.Labels?.[LABELS.project]) {
      throw notFound();
    }
    await image.remove();
  } catch (error) {
    if (error instanceof ArielError) {
      throw error;
    }
    if (isNotFound(error)) {
      throw notFound();
    }
    if ((error as { statusCode?: number }).statusCode === 409) {
      throw new ArielError(
        'image-in-use',
        `${ref.name} is used by a container (${reason(error)}).`,
        'Stop and remove that container first.'
      );
    }
    throw engineError(deps.docker, error);
  }
}

export interface PruneResult {
  /** Removed, or with `dryRun`, what would be removed. */
  removed: ImageInfo[];
  /** Stale images that could not be removed, with the reason (e.g. a container uses them). */
  failed: { image: ImageInfo; error: ArielError }[];
}

/**
 * Removes the content-hash tags that are no longer current for their project, mode, accelerator
 * and extras. Current images, images whose project cannot be read any more and images that are
 * not Ariel's are never touched.
 */
export async function pruneImages(
  deps: AppDeps,
  options: ImageFilter & { dryRun?: boolean } = {}
): Promise<PruneResult> {
  const stale = staleImages(await listImages(deps, options));
  if (options.dryRun) {
    return { removed: stale, failed: [] };
  }
  await removeSparesOf(deps, stale);
  const result: PruneResult = { removed: [], failed: [] };
  for (const image of stale) {
    try {
      await removeImage(deps, image.name);
      result.removed.push(image);
    } catch (error) {
      if (!(error instanceof ArielError)) {
        throw error;
      }
      result.failed.push({ image, error });
    }
  }
  return result;
}

/**
 * Removes the warm pool's spare kernel containers of these images: a spare would keep an outdated
 * image from being pruned, and it is nobody's kernel yet (its pool starts the next kernel afresh).
 */
async function removeSparesOf(deps: AppDeps, images: ImageInfo[]): Promise<void> {
  const names = new Set(images.map(image => image.name));
  const spares = (await listContainers(deps, { role: 'kernel' })).filter(c => c.spare && names.has(c.image));
  await Promise.all(
    spares.map(c =>
      deps.docker
        .getContainer(c.id)
        .remove({ force: true })
        .catch(() => undefined)
    )
  );
}
