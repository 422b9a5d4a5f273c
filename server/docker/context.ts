import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-fs';
import dockerignoreModule, { type Ignore } from '@balena/dockerignore';
import { copiesCode, DOCKERFILE_NAME, LOCK_FILE } from '../dockerfile/generate.js';
import type { ImagePlan } from '../dockerfile/plan.js';
import { ArielError } from '../errors.js';
import { CONFIG_FILES } from '../project/config.js';
import { entryExists, readTextFile } from '../project/read.js';

// The package is CommonJS whose typings claim an ES default export: Node's default import is
// the factory itself. A static import, so that the bundles carry it (they run without node_modules).
const dockerignore = dockerignoreModule as unknown as () => Ignore;

/**
 * Never sent to the engine, whatever `.dockerignore` says: Ariel's own config files (they may
 * carry index credentials), version control, virtual environments (any folder with a
 * pyvenv.cfg) and caches.
 */
const ALWAYS_EXCLUDED = new Set([
  ...CONFIG_FILES,
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '__pycache__',
  '.ipynb_checkpoints',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.tox',
  '.nox',
  '.DS_Store',
  '.dockerignore',
  DOCKERFILE_NAME
]);

/** The files a build sends, and the content hash that names its image. */
export interface BuildContext {
  /** Paths relative to the project root, sorted, with forward slashes. */
  files: string[];
  /** sha256 of the Dockerfile and of every file's path, mode and content. */
  hash: string;
}

/**
 * Only the files the Dockerfile copies: dependency files, plus the whole project in batch modes.
 * The dependency files are always there (and in the hash), whatever `.dockerignore` says.
 */
export async function collectContext(plan: ImagePlan): Promise<BuildContext> {
  const { root } = plan.project;
  const dependencies = dependencyFiles(plan);
  const files = copiesCode(plan.spec.mode)
    ? [...new Set([...(await projectFiles(root)), ...dependencies])].sort()
    : dependencies;
  const hash = createHash('sha256').update(plan.dockerfile);
  for (const file of files) {
    const path = join(root, file);
    const stats = await lstat(path);
    hash.update(`\0${file}\0${stats.mode & 0o111 ? 'x' : '-'}\0`);
    if (stats.isSymbolicLink()) {
      hash.update(`link:${await readlink(path)}`);
    } else {
      await hashFile(path, hash);
    }
  }
  return { files, hash: hash.digest('hex') };
}

function dependencyFiles(plan: ImagePlan): string[] {
  const { requirements, requirementIncludes = [], package: pkg } = plan.spec.dependencies;
  // requirements.txt may name the lock itself (`-c requirements.lock`): each file once.
  return [
    ...new Set([
      ...(plan.spec.locked ? [LOCK_FILE] : []),
      ...(requirements ? [requirements, ...requirementIncludes] : []),
      ...(pkg?.kind === 'source' ? pkg.files : [])
    ])
  ].sort();
}

/** The project's `.dockerignore` rules, each checked: a pattern that is not one names its line. */
function ignoreRules(root: string): { rules: string[]; ignored: Ignore } {
  const path = join(root, '.dockerignore');
  const ignored = dockerignore();
  const rules: string[] = [];
  if (!entryExists(path)) {
    return { rules, ignored };
  }
  readTextFile(path)
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (!line.trim() || line.startsWith('#')) {
        return;
      }
      try {
        // The pattern is compiled on first use: use it once here, so a bad one names its line.
        dockerignore().add(line).ignores('x');
        ignored.add(line);
      } catch (error) {
        throw new ArielError(
          'config-invalid',
          `${path}:${i + 1}: invalid pattern ${JSON.stringify(line)} (${(error as Error).message.replace(/^.*: /, '')})`,
          "Patterns follow Docker's .dockerignore rules: *, ?, ** and [a-z] classes; escape a literal [ as \\[."
        );
      }
      rules.push(line);
    });
  return { rules, ignored };
}

async function projectFiles(root: string): Promise<string[]> {
  const { rules, ignored } = ignoreRules(root);
  // With "!" exceptions a file inside an ignored folder may come back, so such folders are walked anyway.
  const hasExceptions = rules.some(rule => rule.trim().startsWith('!'));
  const files: string[] = [];

  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(root, relative), { withFileTypes: true });
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (ALWAYS_EXCLUDED.has(entry.name)) {
        continue;
      }
      if (entry.isDirectory()) {
        if (existsSync(join(root, path, 'pyvenv.cfg')) || (!hasExceptions && ignored.ignores(path))) {
          continue;
        }
        await walk(path);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !ignored.ignores(path)) {
        files.push(path);
      }
    }
  };
  await walk('');
  return files.sort();
}

function hashFile(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(path)
      .on('data', chunk => hash.update(chunk))
      .on('end', () => resolve())
      .on('error', reject);
  });
}

/**
 * A tar stream of the context: the listed files with normalised owners and times,
 * the Dockerfile, and a .dockerignore that keeps the Dockerfile out of `COPY . …`.
 */
export function packContext(plan: ImagePlan, context: BuildContext): Readable {
  const tar = pack(plan.project.root, {
    entries: context.files,
    map: header => ({ ...header, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' }),
    finalize: false,
    finish: tar => {
      tar.entry({ name: DOCKERFILE_NAME, mtime: new Date(0) }, plan.dockerfile);
      tar.entry({ name: '.dockerignore', mtime: new Date(0) }, `${DOCKERFILE_NAME}\n.dockerignore\n`);
      tar.finalize();
    }
  });
  return tar as unknown as Readable;
}
