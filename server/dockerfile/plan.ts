import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from './generate.js';
import { ArielError } from '../errors.js';
import { expandBaseImage, shorten, type Accelerator } from '../project/config.js';
import { detectDependencies } from '../project/dependencies.js';
import { imageNameOf, type Project } from '../project/project.js';
import { loadUserConfig, type UserConfig } from '../project/user-config.js';
import { IMAGE_REFERENCE, INDEX_URL, INDEX_URLS, maskCredentials, NETWORK_NAME, type Rule } from '../project/values.js';
import { INDEX_BUILD_ARGS, renderDockerfile, type ImageSpec, type Mode } from './generate.js';

/** Public images a user would pick; projects override them with `base_image`. */
export const DEFAULT_BASE_IMAGES: Record<Accelerator, string> = {
  cpu: 'python:3.11-slim',
  // CUDA runtime with cuDNN; it has no Python, so the Dockerfile installs Ubuntu's.
  gpu: 'nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04'
};

export interface PlanOptions {
  mode: Mode;
  accelerator: Accelerator;
  /** Extras asked for on the command line, added to the config's. */
  extras?: string[];
  /** Machine-wide defaults, read from ARIEL_* variables (see README). */
  env?: NodeJS.ProcessEnv;
  /** The per-user config; read from its file (see user-config.ts) when not given. */
  userConfig?: UserConfig;
  /** A run or cloud image for notebook jobs (see ImageSpec.notebookRunner). */
  notebookRunner?: boolean;
}

/** Everything needed to build one image: the Dockerfile and how to build it. */
export interface ImagePlan {
  project: Project;
  spec: ImageSpec;
  dockerfile: string;
  /** Image repository, e.g. `ariel/my-project`; the tag comes from the content hash. */
  repository: string;
  /** Build arguments; they may carry credentials, so they are never printed. */
  buildArgs: Record<string, string>;
  network?: string;
}

/**
 * Plans an image. Settings come from the project's config file first, then the user config
 * (build settings only), then the machine's ARIEL_* variables, then Ariel's defaults.
 */
export function planImage(project: Project, options: PlanOptions): ImagePlan {
  const env = options.env ?? process.env;
  const user = (options.userConfig ?? loadUserConfig(env))?.build;
  const { config } = project;
  const { mode, accelerator } = options;
  const machineBase = machineSetting(env, `ARIEL_BASE_IMAGE_${accelerator.toUpperCase()}`, IMAGE_REFERENCE, name =>
    expandBaseImage(name, accelerator)
  );
  const baseImage = config.baseImage[accelerator] ?? machineBase ?? DEFAULT_BASE_IMAGES[accelerator];
  const pipIndexUrl =
    config.build.pipIndexUrl ?? user?.pipIndexUrl ?? machineSetting(env, 'ARIEL_PIP_INDEX_URL', INDEX_URL);
  const machineExtras = machineSetting(env, 'ARIEL_PIP_EXTRA_INDEX_URL', INDEX_URLS)?.split(' ').filter(Boolean);
  const extraIndexUrls =
    [config.build.pipExtraIndexUrls, user?.pipExtraIndexUrls ?? [], machineExtras ?? []].find(
      urls => urls.length > 0
    ) ?? [];
  const network = config.build.network ?? user?.network ?? machineSetting(env, 'ARIEL_BUILD_NETWORK', NETWORK_NAME);

  const spec: ImageSpec = {
    projectName: imageNameOf(project).replace(/^ariel\//, ''),
    mode,
    accelerator,
    baseImage,
    installPython: accelerator === 'gpu' && baseImage === DEFAULT_BASE_IMAGES.gpu,
    aptPackages: config.aptPackages[accelerator],
    user: hostUser(),
    dependencies: detectDependencies(project.root, {
      accelerator,
      extras: [...new Set([...config.extras, ...(options.extras ?? [])])]
    }),
    ...(existsSync(join(project.root, LOCK_FILE)) ? { locked: true } : {}),
    pipIndex: { index: pipIndexUrl !== undefined, extraIndex: extraIndexUrls.length > 0 },
    ...(options.notebookRunner ? { notebookRunner: true } : {})
  };
  const buildArgs: Record<string, string> = {};
  if (pipIndexUrl) {
    buildArgs[INDEX_BUILD_ARGS.index] = pipIndexUrl;
  }
  if (extraIndexUrls.length > 0) {
    buildArgs[INDEX_BUILD_ARGS.extraIndex] = extraIndexUrls.join(' ');
  }
  return {
    project,
    spec,
    dockerfile: renderDockerfile(spec),
    repository: imageNameOf(project),
    buildArgs,
    network
  };
}

/**
 * A machine-wide default from an ARIEL_* variable, expanded (base image names) and checked
 * against its rule. An empty variable counts as unset, as in `ARIEL_PIP_INDEX_URL= ariel build`.
 */
function machineSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  rule: Rule,
  expand: (value: string) => string = value => value
): string | undefined {
  const value = env[name];
  if (!value) {
    return undefined;
  }
  const expanded = expand(value);
  const problem = rule.check(expanded);
  if (problem) {
    throw new ArielError(
      'config-invalid',
      `Environment variable ${name} ${problem}: ${JSON.stringify(shorten(maskCredentials(value)))}`,
      `Expected ${rule.expected}.`
    );
  }
  return expanded;
}

/** The host user's ids; platforms without them (Windows) get the usual first user's. */
export function hostUser(): { uid: number; gid: number } {
  const { uid, gid } = userInfo();
  return uid >= 0 ? { uid, gid } : { uid: 1000, gid: 1000 };
}
