import { userInfo } from 'node:os';
import { ArielError } from '../errors.js';
import { expandBaseImage, shorten, type Accelerator } from '../project/config.js';
import { detectDependencies } from '../project/dependencies.js';
import { imageNameOf, type Project } from '../project/project.js';
import { loadUserConfig, type UserConfig } from '../project/user-config.js';
import {
  CONTROL_CHARACTER,
  IMAGE_REFERENCE_RULE,
  imageReferenceProblem,
  INDEX_URL_RULE,
  indexUrlProblem,
  NETWORK_RULE,
  networkProblem
} from '../project/values.js';
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
  /** The per-user config; read from its file (see user-config.ts) when not given. */
  userConfig?: UserConfig;
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
  const machineBase = machineSetting(env, `ARIEL_BASE_IMAGE_${accelerator.toUpperCase()}`, name => {
    const image = expandBaseImage(name, accelerator);
    return [image, imageReferenceProblem(image), IMAGE_REFERENCE_RULE];
  });
  const baseImage = config.baseImage[accelerator] ?? machineBase ?? DEFAULT_BASE_IMAGES[accelerator];
  const pipIndexUrl =
    config.build.pipIndexUrl ??
    user?.pipIndexUrl ??
    machineSetting(env, 'ARIEL_PIP_INDEX_URL', url => [url, indexUrlProblem(url), INDEX_URL_RULE]);
  const extraIndexUrls =
    [
      config.build.pipExtraIndexUrls,
      user?.pipExtraIndexUrls ?? [],
      machineSetting(env, 'ARIEL_PIP_EXTRA_INDEX_URL', value => {
        // Space-separated, as pip's own PIP_EXTRA_INDEX_URL; a line break is not a separator here.
        const urls = value.split(' ').filter(Boolean);
        const problem = CONTROL_CHARACTER.test(value)
          ? 'contains a line break or control character'
          : urls.map(indexUrlProblem).find(Boolean);
        return [urls, problem, `space-separated URLs, each ${INDEX_URL_RULE}`];
      }) ?? []
    ].find(urls => urls.length > 0) ?? [];
  const network =
    config.build.network ??
    user?.network ??
    machineSetting(env, 'ARIEL_BUILD_NETWORK', name => [name, networkProblem(name), NETWORK_RULE]);

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
    network
  };
}

/**
 * A machine-wide default from an ARIEL_* variable, parsed and checked: `parse` returns the
 * value, the broken rule (if any) and the rule. An empty variable counts as unset, as in
 * `ARIEL_PIP_INDEX_URL= ariel build`.
 */
function machineSetting<T>(
  env: NodeJS.ProcessEnv,
  name: string,
  parse: (value: string) => [T, string | undefined, string]
): T | undefined {
  const value = env[name];
  if (!value) {
    return undefined;
  }
  const [parsed, problem, rule] = parse(value);
  if (problem) {
    throw new ArielError(
      'config-invalid',
      `Environment variable ${name} ${problem}: ${JSON.stringify(shorten(value))}`,
      `Expected ${rule}.`
    );
  }
  return parsed;
}

/** The host user's ids; platforms without them (Windows) get the usual first user's. */
export function hostUser(): { uid: number; gid: number } {
  const { uid, gid } = userInfo();
  return uid >= 0 ? { uid, gid } : { uid: 1000, gid: 1000 };
}
