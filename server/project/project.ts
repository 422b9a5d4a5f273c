import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ArielError } from '../errors.js';
import { CONFIG_FILES, emptyConfig, loadConfig, type ConfigFileName, type ProjectConfig } from './config.js';
import { entryExists, refuseLinkOut } from './read.js';
import { userConfigPath } from './user-config.js';
import { passwordOf } from './values.js';

export interface Project {
  /** Absolute path of the project root. */
  root: string;
  /** The config file that was read, if any. */
  configFile?: string;
  config: ProjectConfig;
  /** What the caller should tell the user (duplicate keys, a password in a committed file); never fatal. */
  warnings: string[];
}

/**
 * Finds the project that `start` belongs to: the nearest folder at or above it holding
 * `.ariel.json` or `.calibanconfig.json` (`.ariel.json` wins when both are there),
 * else the git root, else `start` itself.
 */
export function findProject(start: string): Project {
  const located = locateProject(start);
  const { configFile } = located;
  if (!configFile) {
    return { ...located, config: emptyConfig(), warnings: [] };
  }
  const warnings: string[] = [];
  refuseLinkOut(located.root, configFile, 'config-invalid');
  const config = loadConfig(configFile, basename(configFile) as ConfigFileName, warnings);
  return { ...located, config, warnings: [...warnings, ...credentialWarnings(configFile, config)] };
}

/** Where findProject finds the project and its config file, without reading the config. */
export function locateProject(start: string): Omit<Project, 'config' | 'warnings'> {
  const from = resolve(start);
  if (!existsSync(from) || !statSync(from).isDirectory()) {
    throw new ArielError('project-not-found', `Project folder ${from} does not exist or is not a folder.`);
  }
  for (const dir of ancestors(from)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name);
      // A dangling link counts: reading it says what is wrong with it.
      if (entryExists(file)) {
        return { root: dir, configFile: file };
      }
    }
  }
  const gitRoot = ancestors(from).find(dir => existsSync(join(dir, '.git')));
  return { root: gitRoot ?? from };
}

/** A password in a project file travels with the project; the build works, but the user should know. */
function credentialWarnings(file: string, config: ProjectConfig): string[] {
  const { pipIndexUrl, pipExtraIndexUrls } = config.build;
  const keys = [
    ...(pipIndexUrl && passwordOf(pipIndexUrl) ? ['build.pip_index_url'] : []),
    ...(pipExtraIndexUrls.some(url => passwordOf(url)) ? ['build.pip_extra_index_url'] : [])
  ];
  if (keys.length === 0) {
    return [];
  }
  return [
    `${file}: ${keys.join(' and ')} carries a password, and this file goes wherever the project goes ` +
      `(Ariel keeps it out of images). Move the "build" settings to your user config, ${userConfigPath()}, ` +
      'or to ARIEL_PIP_INDEX_URL / ARIEL_PIP_EXTRA_INDEX_URL.'
  ];
}

function ancestors(dir: string): string[] {
  const result = [dir];
  while (dirname(result[result.length - 1]) !== result[result.length - 1]) {
    result.push(dirname(result[result.length - 1]));
  }
  return result;
}

/** A name usable as a Docker repository component, derived from the project folder. */
export function imageNameOf(project: Pick<Project, 'root'>): string {
  const name = basename(project.root)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `ariel/${name || 'project'}`;
}
