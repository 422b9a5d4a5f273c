import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ArielError } from '../errors.js';
import { CONFIG_FILES, emptyConfig, loadConfig, type ProjectConfig } from './config.js';

export interface Project {
  /** Absolute path of the project root. */
  root: string;
  /** The config file that was read, if any. */
  configFile?: string;
  config: ProjectConfig;
  /** Problems in the config file that do not stop Ariel (duplicate keys), one line each. */
  warnings: string[];
}

/**
 * Finds the project that `start` belongs to: the nearest folder at or above it holding
 * `.ariel.json` or `.calibanconfig.json` (`.ariel.json` wins when both are there),
 * else the git root, else `start` itself.
 */
export function findProject(start: string): Project {
  const from = resolve(start);
  if (!existsSync(from) || !statSync(from).isDirectory()) {
    throw new ArielError(
      'project-not-found',
      `Project folder ${from} does not exist or is not a folder.`,
      'Pass --project with an existing folder.'
    );
  }
  for (const dir of ancestors(from)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) {
        const warnings: string[] = [];
        return { root: dir, configFile: file, config: loadConfig(file, name, warnings), warnings };
      }
    }
  }
  const gitRoot = ancestors(from).find(dir => existsSync(join(dir, '.git')));
  return { root: gitRoot ?? from, config: emptyConfig(), warnings: [] };
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
