import { existsSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ArielError } from '../errors.js';
import { isInside } from '../paths.js';
import type { Project } from '../project/project.js';
import { refuseLinkOut } from '../project/read.js';
import { isNotebookPath, notebookCommand } from './notebook.js';

/** What a job runs: a module (`python -m trainer.train`), a script or a notebook (paths inside the project). */
export type Target =
  { kind: 'module'; module: string } | { kind: 'script'; path: string } | { kind: 'notebook'; path: string };

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
  const looksLikePath =
    target.includes('/') || target.includes(sep) || target.endsWith('.py') || isNotebookPath(target);
  if (!looksLikePath && MODULE.test(target)) {
    const parts = target.split('.');
    const candidates = [join(...parts) + '.py', join(...parts, '__main__.py')];
    candidates.forEach(file => refuseLinkOut(project.root, join(project.root, file), 'target-invalid'));
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
  refuseLinkOut(project.root, absolute, 'target-invalid');
  if (!isInside(project.root, absolute) || !existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new ArielError(
      'target-invalid',
      `${isNotebookPath(target) ? 'Notebook' : 'Script'} ${target} does not exist in project ${project.root}.`,
      'Give the path of a Python file or notebook inside the project, or a module name such as trainer.train.'
    );
  }
  const path = inProject.split(sep).join('/');
  return isNotebookPath(target) ? { kind: 'notebook', path } : { kind: 'script', path };
}

/** The command that starts a target, relative to the code folder; a notebook's writes the executed notebook to `output`. */
export function targetCommand(target: Target, output?: string): string[] {
  switch (target.kind) {
    case 'module':
      return ['python', '-m', target.module];
    case 'script':
      return ['python', target.path];
    case 'notebook':
      if (output === undefined) {
        throw new Error(`No output path for notebook ${target.path}`);
      }
      return notebookCommand(target.path, output);
  }
}
