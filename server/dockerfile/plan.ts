import { userInfo } from 'node:os';
import type { Accelerator } from '../project/config.js';
import { detectDependencies } from '../project/dependencies.js';
import { imageNameOf, type Project } from '../project/project.js';
import { renderDockerfile, type ImageSpec, type Mode } from './generate.js';

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

export function planImage(project: Project, options: PlanOptions): ImagePlan {
  const env = options.env ?? process.env;
  // An empty ARIEL_* variable counts as unset, as in `ARIEL_PIP_INDEX_URL= ariel build`.
  const machine = (name: string): string | undefined => env[name] || undefined;
  const { config } = project;
  const { mode, accelerator } = options;
  const machineBase = machine(`ARIEL_BASE_IMAGE_${accelerator.toUpperCase()}`);
  const baseImage = config.baseImage[accelerator] ?? machineBase ?? DEFAULT_BASE_IMAGES[accelerator];
  const pipIndexUrl = config.build.pipIndexUrl ?? machine('ARIEL_PIP_INDEX_URL');
  const extraIndexUrls =
    config.build.pipExtraIndexUrls.length > 0
      ? config.build.pipExtraIndexUrls
      : (env.ARIEL_PIP_EXTRA_INDEX_URL ?? '').split(/\s+/).filter(Boolean);

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
    pipIndex: { index: pipIndexUrl !== undefined, extraIndex: extraIndexUrls.length > 0 }
  };
  const buildArgs: Record<string, string> = {};
  if (pipIndexUrl) {
    buildArgs.PIP_INDEX_URL = pipIndexUrl;
  }
  if (extraIndexUrls.length > 0) {
    buildArgs.PIP_EXTRA_INDEX_URL = extraIndexUrls.join(' ');
  }
  return {
    project,
    spec,
    dockerfile: renderDockerfile(spec),
    repository: imageNameOf(project),
    buildArgs,
    network: config.build.network ?? machine('ARIEL_BUILD_NETWORK')
  };
}

/** The host user's ids; platforms without them (Windows) get the usual first user's. */
export function hostUser(): { uid: number; gid: number } {
  const { uid, gid } = userInfo();
  return uid >= 0 ? { uid, gid } : { uid: 1000, gid: 1000 };
}
