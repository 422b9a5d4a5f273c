import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ArielError } from '../errors.js';
import type { Project } from '../project/project.js';

/** What a job runs: a module (`python -m trainer.train`) or a script path inside the project. */
export type Target = { kind: 'module'; module: string } | { kind: 'script'; path: string };

const MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Resolves TARGET against the project; one that does not exist is an error before anything is built. */
export function resolveTarget(project: Project, target: string, cwd: string): Target {
  if (!target.trim()) {
    throw new ArielError(
      'target-invalid',
      'The run target is empty.',
      'Name a module by its dotted path from the project root (trainer.train), or a script by its path (trainer/train.py).'
    );
  }
  if (target.endsWith('.ipynb')) {
    throw new ArielError(
      'unsupported',
      `Running notebooks (${target}) is not supported yet.`,
      'Run a module or a script, e.g. ariel run trainer.train.'
    );
  }
  const looksLikePath = target.includes('/') || target.includes(sep) || target.endsWith('.py');
  if (!looksLikePath && MODULE.test(target)) {
    const parts = target.split('.');
    const candidates = [join(...parts) + '.py', join(...parts, '__main__.py')];
    if (candidates.some(file => existsSync(join(project.root, file)))) {
      return { kind: 'module', module: target };
    }
    throw new ArielError(
      'target-invalid',
      `No module ${target} in project ${project.root} (looked for ${candidates.join(' and ')}).`,
      'Name a module by its dotted path from the project root (trainer.train), or a script by its path (trainer/train.py).'
    );
  }
  // From a folder outside the project (`--project DIR`), a relative path is taken from the project root.
  const base = isInside(project.root, resolve(cwd)) ? cwd : project.root;
  const absolute = resolve(base, target);
  const inProject = relative(project.root, absolute);
  if (!isInside(project.root, absolute) || !existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new ArielError(
      'target-invalid',
      `Script ${target} does not exist in project ${project.root}.`,
      'Give the path of a Python file inside the project, or a module name such as trainer.train.'
    );
  }
  return { kind: 'script', path: inProject.split(sep).join('/') };
}

function isInside(root: string, path: string): boolean {
  const inRoot = relative(root, path);
  return !inRoot.startsWith('..') && !isAbsolute(inRoot);
}

/** The command that starts a target, relative to the code folder. */
export function targetCommand(target: Target): string[] {
  return target.kind === 'module' ? ['python', '-m', target.module] : ['python', target.path];
}
