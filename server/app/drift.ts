import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createTwoFilesPatch } from 'diff';
import { ArielError } from '../errors.js';
import { engineError, isNotFound } from '../docker/engine.js';
import { ImageRef } from '../docker/imageRef.js';
import { LABELS } from '../docker/labels.js';
import { LOCK_FILE, VENV_DIR } from '../dockerfile/generate.js';
import { compareDistributions, isEmptyDrift, type Drift } from '../drift/compare.js';
import { formatFreeze, parseFreeze, readImageRecord, type Distribution, type ImageRecord } from '../drift/record.js';
import type { Accelerator } from '../project/config.js';
import { detectDependencies } from '../project/dependencies.js';
import { findProject, type Project } from '../project/project.js';
import { listContainers } from './containers.js';
import type { AppDeps, Progress } from './deps.js';
import { imageFor, planFor, prepareImage } from './images.js';

/** An image's record, with the Dockerfile the same request would generate now when that differs. */
export interface ImageRecordInfo extends ImageRecord {
  /** `repository:tag` */
  image: string;
  /**
   * The image its request builds today, when that is another one (this one is outdated): its
   * Dockerfile and a unified diff from this image's (empty when only the files it copies changed:
   * requirements, the lock, or in batch modes the code). Null when current or when it cannot be told.
   */
  current: { image: string; dockerfile: string; diff: string } | null;
}

/** The record of one of Ariel's images; an image built before records existed is `not-found`. */
export async function imageRecord(deps: AppDeps, name: string): Promise<ImageRecordInfo> {
  const ref = ImageRef.parse(name);
  if (!ref) {
    throw new ArielError(
      'not-found',
      `${name} is not an image Ariel built.`,
      'Name one as ariel images lists it: ariel/<project>:<mode>-<cpu|gpu>-<hash>.'
    );
  }
  const record = await readImageRecord(deps.docker, ref.name);
  if (!record) {
    throw new ArielError(
      'not-found',
      `${ref.name} has no record of its packages and Dockerfile: it was built before Ariel recorded them.`,
      'Build it again (ariel build --no-cache, or delete it and start its kernel) to get one.'
    );
  }
  return { image: ref.name, ...record, current: await currentDockerfile(deps, ref, record.dockerfile) };
}

async function currentDockerfile(deps: AppDeps, ref: ImageRef, built: string): Promise<ImageRecordInfo['current']> {
  let labels: Record<string, string>;
  try {
    labels = (await deps.docker.getImage(ref.name).inspect()).Config?.Labels ?? {};
  } catch (error) {
    throw engineError(deps.docker, error);
  }
  const root = labels[LABELS.project];
  if (!root) {
    return null;
  }
  try {
    const project = findProject(root);
    const request = {
      project,
      mode: ref.mode,
      accelerator: ref.accelerator,
      extras: (labels[LABELS.extras] ?? '').split(',').filter(Boolean)
    };
    const image = (await imageFor(deps, request)).name;
    if (image === ref.name) {
      return null;
    }
    const dockerfile = planFor(deps, request).dockerfile;
    const diff =
      dockerfile === built
        ? ''
        : createTwoFilesPatch(`${ref.name} (as built)`, `${image} (now)`, built, dockerfile, '', '', {
            context: 3
          });
    return { image, dockerfile, diff };
  } catch (error) {
    if (error instanceof ArielError) {
      return null;
    }
    throw error;
  }
}

/** What `lock` wrote. */
export interface LockResult {
  file: string;
  /** The notebook image whose record it was written from. */
  image: string;
  packages: Distribution[];
}

/**
 * Writes LOCK_FILE (pip constraints) from the record of the project's current notebook image,
 * building that image first if it does not exist. From then on every image of the project
 * installs with it as constraints, and it is part of their content hash.
 */
export async function lockProject(
  deps: AppDeps,
  request: { project: Project; accelerator?: Accelerator },
  progress: Progress = {}
): Promise<LockResult> {
  const { project } = request;
  const built = await prepareImage(
    deps,
    { project, mode: 'notebook', accelerator: request.accelerator ?? 'cpu' },
    progress
  );
  const record = await readImageRecord(deps.docker, built.image.name);
  if (!record) {
    throw new ArielError(
      'not-found',
      `${built.image.name} has no record of its packages: it was built before Ariel recorded them.`,
      'Remove it (ariel prune, or docker rmi) and run ariel lock again.'
    );
  }
  const file = join(project.root, LOCK_FILE);
  // Without local version labels: `torch==2.13.0` admits the CPU image's `2.13.0+cpu` and a GPU
  // image's CUDA build alike (PEP 440), so one lock serves both accelerators.
  const packages = record.packages
    .filter(p => !isOwnPackage(project, p))
    .map(p => ({ name: p.name, version: p.version.replace(/\+.*$/, '') }));
  writeFileSync(
    file,
    `# Written by ariel lock from ${built.image.name}: the versions every image of this project installs.\n` +
      '# pip reads it as constraints (-c). Write it again with: ariel lock\n' +
      formatFreeze(packages)
  );
  return { file, image: built.image.name, packages };
}

/** The project's own distribution is installed from its folder, whatever version it declares. */
function isOwnPackage(project: Project, d: Distribution): boolean {
  try {
    const pkg = detectDependencies(project.root, { accelerator: 'cpu', extras: [] }).package;
    return pkg?.kind === 'pyproject' && pkg.name.toLowerCase().replace(/[-_.]+/g, '-') === normalize(d.name);
  } catch {
    return false;
  }
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** What `lock --check` found: nothing when the requirements resolve within the lock. */
export interface LockCheck {
  image: string;
  /** Installed in the current notebook image but not in the lock (a requirement added since). */
  unlocked: Distribution[];
}

/**
 * Whether the project's requirements still resolve within its lock: the current notebook image
 * (built with the lock as constraints, so pip itself decides) is built if needed, and its record
 * must hold no distribution the lock does not name. A requirement that cannot be satisfied within
 * the lock fails that build with pip's reason (`dependencies-invalid`).
 */
export async function checkLock(
  deps: AppDeps,
  request: { project: Project; accelerator?: Accelerator },
  progress: Progress = {}
): Promise<LockCheck> {
  const { project } = request;
  const file = join(project.root, LOCK_FILE);
  if (!existsSync(file)) {
    throw new ArielError('file-unreadable', `${file} does not exist.`, 'Write it with: ariel lock');
  }
  const locked = parseFreeze(readFileSync(file, 'utf8'));
  let image: string;
  try {
    image = (
      await prepareImage(deps, { project, mode: 'notebook', accelerator: request.accelerator ?? 'cpu' }, progress)
    ).image.name;
  } catch (error) {
    if (error instanceof ArielError && error.code === 'build-failed') {
      throw new ArielError(
        'dependencies-invalid',
        `The project's requirements no longer resolve within ${LOCK_FILE}:\n${error.message}`,
        `Loosen the requirement, or write the lock again from the new requirements (remove ${LOCK_FILE}, then ariel lock).`
      );
    }
    throw error;
  }
  const record = await readImageRecord(deps.docker, image);
  const drift = compareDistributions(locked, record?.packages ?? []);
  return { image, unlocked: drift.added.filter(p => !isOwnPackage(project, p)) };
}

/** The drift of one running kernel container from its image's record. */
export interface KernelDrift {
  /** The container's id and name. */
  container: string;
  name: string;
  /** Root folder of its project. */
  project?: string;
  image: string;
  /** False for an image built before records existed: its drift cannot be told. */
  recorded: boolean;
  drift: Drift;
}

/**
 * For each running kernel container (warm-pool spares are nobody's kernel yet), the distributions
 * that differ from its image's record, read from the container's installed metadata (one short
 * Python process per kernel; no pip, which takes longer to start).
 */
export async function kernelDrift(deps: AppDeps, filter: { project?: string } = {}): Promise<KernelDrift[]> {
  const kernels = (await listContainers(deps, { role: 'kernel', project: filter.project })).filter(
    c => c.state === 'running' && !c.spare
  );
  return Promise.all(
    kernels.map(async c => {
      let imageId: string;
      try {
        imageId = (await deps.docker.getContainer(c.id).inspect()).Image;
      } catch (error) {
        throw engineError(deps.docker, error);
      }
      const record = await readImageRecord(deps.docker, imageId).catch(error => {
        if (error instanceof ArielError && error.code === 'not-found') {
          return null;
        }
        throw error;
      });
      const base = { container: c.id, name: c.name, project: c.project, image: c.image };
      if (!record) {
        return { ...base, recorded: false, drift: { added: [], removed: [], changed: [] } };
      }
      const installed = await installedDistributions(deps, c.id);
      return { ...base, recorded: true, drift: compareDistributions(record.packages, installed) };
    })
  );
}

/**
 * The container's installed distributions, read with importlib.metadata by the image's Python:
 * the same names and versions `pip list --format=freeze` writes into the record.
 */
const LIST_DISTRIBUTIONS =
  'import importlib.metadata as m\n' +
  'for d in m.distributions():\n' +
  "    n = d.metadata['Name']\n" +
  "    if n: print(f'{n}=={d.version}')\n";

async function installedDistributions(deps: AppDeps, id: string): Promise<Distribution[]> {
  const container = deps.docker.getContainer(id);
  let out = '';
  let err = '';
  try {
    const exec = await container.exec({
      Cmd: [`${VENV_DIR}/bin/python`, '-c', LIST_DISTRIBUTIONS],
      AttachStdout: true,
      AttachStderr: true
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const stdout = new PassThrough().on('data', chunk => (out += String(chunk)));
    const stderr = new PassThrough().on('data', chunk => (err += String(chunk)));
    deps.docker.modem.demuxStream(stream, stdout, stderr);
    await new Promise<void>((resolve, reject) => stream.on('end', resolve).on('close', resolve).on('error', reject));
    const { ExitCode } = await exec.inspect();
    if (ExitCode !== 0) {
      throw new ArielError(
        'not-found',
        `Could not list the packages of kernel container ${id.slice(0, 12)}: ${err.trim() || `exit code ${ExitCode}`}`,
        'Its image may not be one Ariel built; restart the kernel.'
      );
    }
  } catch (error) {
    if (error instanceof ArielError) {
      throw error;
    }
    if (isNotFound(error)) {
      return [];
    }
    throw engineError(deps.docker, error);
  }
  return parseFreeze(out);
}

/** What "add to the project" did, or for a pyproject-only project, what to add by hand. */
export interface AddToProjectResult {
  /** Project-relative file written, or the one to edit by hand. */
  file: string;
  written: boolean;
  /** Pinned requirement lines (`name==version`). */
  lines: string[];
  /** Where the lines go, when not written. */
  where?: string;
  /** Reported, not written: removed in the kernel, or at a lower version than the image's. */
  notWritten: { name: string; version: string | null; recorded: string; reason: 'removed' | 'downgraded' }[];
}

/**
 * Appends pinned lines for what a kernel installed (added or upgraded packages) to the project's
 * `requirements.txt`, creating it when the project has no dependency file. A project whose
 * dependencies live only in `pyproject.toml` is not edited: the answer says what to add and where.
 * The image is then outdated, and the next kernel start builds the new one.
 */
export async function addDriftToProject(
  deps: AppDeps,
  request: { project: Project; container: string }
): Promise<AddToProjectResult> {
  const { project } = request;
  const kernel = (await kernelDrift(deps, { project: project.root })).find(
    k => k.container === request.container || k.name === request.container || k.container.startsWith(request.container)
  );
  if (!kernel) {
    throw new ArielError(
      'not-found',
      `No running kernel container ${request.container} of the project ${project.root}.`,
      'List them with: ariel kernels drift'
    );
  }
  const { drift } = kernel;
  const lines = [
    ...drift.added.map(d => `${d.name}==${d.version}`),
    ...drift.changed.filter(d => d.direction === 'upgraded').map(d => `${d.name}==${d.version}`)
  ];
  const notWritten: AddToProjectResult['notWritten'] = [
    ...drift.removed.map(d => ({ name: d.name, version: null, recorded: d.version, reason: 'removed' as const })),
    ...drift.changed
      .filter(d => d.direction === 'downgraded')
      .map(d => ({ name: d.name, version: d.version, recorded: d.recorded, reason: 'downgraded' as const }))
  ];
  const dependencies = detectDependencies(project.root, { accelerator: 'cpu', extras: [] });
  if (!dependencies.requirements && dependencies.package) {
    return {
      file: dependencies.package.kind === 'pyproject' ? 'pyproject.toml' : 'setup.py',
      written: false,
      lines,
      where:
        dependencies.package.kind === 'pyproject'
          ? 'the dependencies list of the [project] table'
          : 'install_requires in setup.py (or a requirements.txt beside it)',
      notWritten
    };
  }
  const file = dependencies.requirements ?? 'requirements.txt';
  const path = join(project.root, file);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const after = appendRequirements(before, lines);
  if (after !== before) {
    writeFileSync(path, after);
  }
  return { file, written: after !== before, lines, notWritten };
}

/**
 * A requirements file's text with the pinned lines appended, leaving out those it already has
 * (compared as pip compares names: case-insensitive, `_` and `.` as `-`), so that a second "add
 * to the project" of the same kernel, from another tab or the CLI, writes nothing twice.
 */
export function appendRequirements(text: string, lines: string[]): string {
  const normalize = (line: string) =>
    line
      .trim()
      .toLowerCase()
      .replace(/[-_.]+(?=[^=]*==)/g, '-');
  const present = new Set(text.split('\n').map(normalize));
  const missing = lines.filter(line => !present.has(normalize(line)));
  if (missing.length === 0) {
    return text;
  }
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}${missing.join('\n')}\n`;
}

export { isEmptyDrift };

/** How a cloud image's packages compare with the notebook's, before a submission ships it. */
export interface EnvironmentCheck {
  cloudImage: string;
  /** The project's current notebook image; null when it was never built (nothing to compare). */
  notebookImage: string | null;
  /** How many packages the cloud image records. */
  count: number;
  /** In both images at other versions: `version` in the cloud image, `recorded` in the notebook's. */
  otherVersions: { name: string; version: string; recorded: string }[];
  /** Only in the notebook image; for a script job, the notebook's kernel (ipykernel and its needs) is expected here. */
  onlyNotebook: Distribution[];
  /** Only in the cloud image (e.g. nbclient for a notebook job). */
  onlyCloud: Distribution[];
  /** The project's running kernels that installed or changed packages their image does not hold. */
  kernels: KernelDrift[];
  /** True when the cloud job runs with what the notebook ran: same versions, no drifted kernel. */
  same: boolean;
}

/**
 * Compares the record of a (built) cloud image with the record of the project's current notebook
 * image, and looks for drift in the project's running kernels: what a submission checks before it
 * ships the image. Reads records only; builds nothing.
 */
export async function checkEnvironment(
  deps: AppDeps,
  request: { project: Project; cloudImage: string; accelerator?: Accelerator }
): Promise<EnvironmentCheck> {
  const { project, cloudImage } = request;
  const cloud = await readImageRecord(deps.docker, cloudImage);
  const notebookName = (await imageFor(deps, { project, mode: 'notebook', accelerator: request.accelerator ?? 'cpu' }))
    .name;
  const notebook = await readImageRecord(deps.docker, notebookName).catch(error => {
    if (error instanceof ArielError && error.code === 'not-found') {
      return null;
    }
    throw error;
  });
  const kernels = (await kernelDrift(deps, { project: project.root })).filter(
    k => k.recorded && (k.drift.added.length > 0 || k.drift.changed.length > 0)
  );
  const diff = compareDistributions(notebook?.packages ?? [], cloud?.packages ?? []);
  const otherVersions = diff.changed.map(({ name, version, recorded }) => ({ name, version, recorded }));
  return {
    cloudImage,
    notebookImage: notebook ? notebookName : null,
    count: cloud?.packages.length ?? 0,
    otherVersions,
    onlyNotebook: notebook ? diff.removed : [],
    onlyCloud: notebook ? diff.added : [],
    kernels,
    same: notebook !== null && otherVersions.length === 0 && kernels.length === 0
  };
}

/** The check in words: warnings (each with the way out) and, when all is well, one line that says so. */
export function describeEnvironmentCheck(check: EnvironmentCheck): { warnings: string[]; ok?: string } {
  const warnings: string[] = [];
  if (check.otherVersions.length > 0) {
    warnings.push(
      `the cloud image has other versions than the notebook's image (${check.notebookImage}): ${check.otherVersions
        .map(d => `${d.name} ${d.version} (notebook: ${d.recorded})`)
        .join(', ')}. ` +
        'Rebuild the notebook image (ariel build --mode notebook) or pin the versions with ariel lock.'
    );
  }
  for (const kernel of check.kernels) {
    const installed = [
      ...kernel.drift.added.map(d => `${d.name} ${d.version}`),
      ...kernel.drift.changed.map(d => `${d.name} ${d.version} (image: ${d.recorded})`)
    ];
    warnings.push(
      `kernel ${kernel.name} installed packages the cloud image does not have: ${installed.join(', ')}. ` +
        `Add them to the project (ariel kernels drift --add ${kernel.name}) and submit again.`
    );
  }
  if (warnings.length > 0) {
    return { warnings };
  }
  if (check.notebookImage === null) {
    return { warnings, ok: `The cloud image holds ${check.count} packages; no notebook image to compare with.` };
  }
  return { warnings, ok: `Same ${check.count - check.onlyCloud.length} packages as the notebook's image.` };
}
