import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { describeSettings, resolveSettings, type SettingsDescription } from '../docker/settings.js';
import { MODES, type Mode } from '../dockerfile/generate.js';
import { ArielError } from '../errors.js';
import { ACCELERATORS, emptyConfig, type Accelerator, type ProjectConfig } from '../project/config.js';
import { maskCredentials } from '../project/values.js';
import { detectDependencies } from '../project/dependencies.js';
import { findProject, locateProject, type Project } from '../project/project.js';
import { errorBody, type ErrorBody } from '../app/builds.js';
import { isInside, relativeTo } from '../paths.js';

export { relativeTo };

/** What the sidebar shows about the project a folder belongs to. */
export interface ProjectSummary {
  /** The project root, relative to Jupyter's root ("" for the root itself). */
  root: string;
  name: string;
  /** The config file, relative to Jupyter's root. */
  configFile?: string;
  /** Dependency files the images install from, relative to the project root. */
  dependencyFiles: string[];
  /** The config as Ariel reads it (credentials in index URLs masked); the defaults when it is invalid. */
  config: ProjectConfig;
  warnings: string[];
  /** The run-time settings its containers get (settings.ts `describeSettings`), for the sidebar to show. */
  runSettings?: SettingsDescription;
  /** Why the project cannot be built as it is, e.g. an invalid config with its file and line. */
  error?: ErrorBody;
}

/**
 * The absolute, symlink-free folder a request's `path` names: relative to Jupyter's root
 * (which `root` is, already symlink-free), or absolute (as kernel launchers know it), and inside it.
 */
export function resolveFolder(root: string, path: unknown): string {
  if (path === undefined || path === null) {
    path = '';
  }
  if (typeof path !== 'string') {
    throw new ArielError(
      'usage',
      '"path" must be a string.',
      'Give a folder relative to Jupyter\'s root, e.g. "" or "projects/digits".'
    );
  }
  const outside = () =>
    new ArielError(
      'usage',
      `The folder "${path}" is outside Jupyter's root.`,
      'Give a folder relative to Jupyter\'s root, without "..".'
    );
  const full = isAbsolute(path) ? resolve(path) : join(root, path);
  if (!isInside(root, full)) {
    throw outside();
  }
  if (!existsSync(full) || !statSync(full).isDirectory()) {
    throw new ArielError(
      'project-not-found',
      `The folder "${path}" does not exist under Jupyter's root.`,
      'Open an existing folder in the file browser.'
    );
  }
  const real = realpathSync(full);
  if (!isInside(root, real)) {
    throw outside();
  }
  return real;
}

export function parseMode(value: unknown): Mode {
  if (!MODES.includes(value as Mode)) {
    throw new ArielError('usage', `Unknown mode ${JSON.stringify(value)}.`, `Use one of: ${MODES.join(', ')}.`);
  }
  return value as Mode;
}

export function parseAccelerator(value: unknown): Accelerator {
  if (value === undefined || value === null) {
    return 'cpu';
  }
  if (!ACCELERATORS.includes(value as Accelerator)) {
    throw new ArielError(
      'usage',
      `Unknown accelerator ${JSON.stringify(value)}.`,
      `Use one of: ${ACCELERATORS.join(', ')}.`
    );
  }
  return value as Accelerator;
}

/** The summary of the project `folder` belongs to; problems with the project are reported in it, not thrown. */
export function projectSummary(root: string, folder: string): ProjectSummary {
  const located = locateProject(folder);
  const summary: ProjectSummary = {
    root: relativeTo(root, located.root),
    name: basename(located.root),
    ...(located.configFile ? { configFile: relativeTo(root, located.configFile) } : {}),
    dependencyFiles: [],
    config: emptyConfig(),
    warnings: []
  };
  if (!isInside(root, located.root)) {
    summary.warnings.push(
      `The project root ${located.root} is above Jupyter's root; its images are built from files the file browser does not show.`
    );
  }
  try {
    const project = findProject(folder);
    summary.config = maskConfig(project.config);
    summary.dependencyFiles = dependencyFilesOf(project);
    summary.runSettings = describeSettings(resolveSettings(project));
  } catch (error) {
    if (!(error instanceof ArielError)) {
      throw error;
    }
    summary.error = errorBody(error);
  }
  return summary;
}

function dependencyFilesOf(project: Project): string[] {
  const deps = detectDependencies(project.root, { accelerator: 'cpu', extras: project.config.extras });
  const files = deps.requirements ? [deps.requirements] : [];
  if (deps.package?.kind === 'pyproject') {
    files.push('pyproject.toml');
  } else if (deps.package) {
    files.push(...deps.package.files);
  }
  return files;
}

/** Index URLs may carry a user and token; the browser is shown them without. */
function maskConfig(config: ProjectConfig): ProjectConfig {
  const mask = maskCredentials;
  return {
    ...config,
    build: {
      ...config.build,
      pipIndexUrl: config.build.pipIndexUrl && mask(config.build.pipIndexUrl),
      pipExtraIndexUrls: config.build.pipExtraIndexUrls.map(mask)
    }
  };
}
