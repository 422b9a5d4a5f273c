import { join } from 'node:path';
import envPaths from 'env-paths';
import { loadConfig, type ProjectConfig, type RunConfig } from './config.js';
import { entryExists } from './read.js';

/**
 * The per-user config file: `ariel/config.json` in the platform's config folder
 * (`$XDG_CONFIG_HOME` or `~/.config` on Linux), or in `$ARIEL_CONFIG_DIR` when set.
 * It takes the `build` keys of `.ariel.json`, so index credentials need not live in a
 * file committed with the project, and `"projects": {ROOT: {"run": {...}}}`: run-time settings
 * of one machine (a dataset's path, its GPUs) that should not travel with the repository.
 */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.ARIEL_CONFIG_DIR || envPaths('ariel', { suffix: '' }).config;
  return join(dir, 'config.json');
}

export type UserConfig = Pick<ProjectConfig, 'build' | 'mlflow'>;

/** The user config's `build` and `mlflow` settings; none when the file does not exist. */
export function loadUserConfig(env: NodeJS.ProcessEnv = process.env): UserConfig | undefined {
  const path = userConfigPath(env);
  if (!entryExists(path)) {
    return undefined;
  }
  // A folder or a dangling link there is a mistake worth reporting, which loadConfig does.
  const { build, mlflow } = loadConfig(path, 'user');
  return mlflow ? { build, mlflow } : { build };
}

/** The user config's `run` settings for the project at `root`; none without a file or an entry. */
export function loadUserRunConfig(root: string, env: NodeJS.ProcessEnv = process.env): RunConfig | undefined {
  const path = userConfigPath(env);
  if (!entryExists(path)) {
    return undefined;
  }
  const projects = loadConfig(path, 'user').projects ?? {};
  return Object.hasOwn(projects, root) ? projects[root] : undefined;
}
