import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ArielError } from '../errors.js';
import type { Accelerator } from './config.js';

/**
 * What the image must install from the project's own files. Paths are relative
 * to the project root; they are what the Dockerfile copies from the build context.
 */
export interface Dependencies {
  /** `requirements.txt`, when present. */
  requirements?: string;
  package?: PythonPackage;
}

export type PythonPackage =
  /** pyproject.toml with static metadata: its requirements are written into the Dockerfile. */
  | { kind: 'pyproject'; name: string; requirements: string[]; extras: string[] }
  /** setup.py (or a dynamic pyproject.toml): its metadata files are copied and `pip install .[extras]` runs. */
  | { kind: 'source'; files: string[]; extras: string[] };

export interface DependencyOptions {
  accelerator: Accelerator;
  /** Extras asked for by the config and on the command line. */
  extras: string[];
}

/** Reads the project's dependency declarations; throws on ones Ariel cannot honour. */
export function detectDependencies(root: string, options: DependencyOptions): Dependencies {
  const has = (file: string) => existsSync(join(root, file));
  const deps: Dependencies = {};
  if (has('requirements.txt')) {
    deps.requirements = 'requirements.txt';
  }
  if (has('pyproject.toml')) {
    deps.package = fromPyproject(root, options, has('setup.py'));
  } else if (has('setup.py')) {
    const source = readFileSync(join(root, 'setup.py'), 'utf8');
    deps.package = {
      kind: 'source',
      files: ['setup.py', ...(has('setup.cfg') ? ['setup.cfg'] : [])],
      extras: withAcceleratorExtra(options, declaresExtra(source, options.accelerator))
    };
  }
  if (!deps.requirements && !deps.package && (has('environment.yml') || has('environment.yaml'))) {
    throw new ArielError(
      'unsupported',
      'environment.yml (conda) is not supported yet.',
      'List the packages in requirements.txt (pip) or in pyproject.toml, and apt packages in .ariel.json.'
    );
  }
  return deps;
}

/** Caliban's convention: a package that declares a `cpu` or `gpu` extra gets it in that image. */
function withAcceleratorExtra(options: DependencyOptions, declared: boolean): string[] {
  const extras = [...options.extras];
  if (declared && !extras.includes(options.accelerator)) {
    extras.push(options.accelerator);
  }
  return extras;
}

function declaresExtra(setupPy: string, extra: string): boolean {
  const start = setupPy.indexOf('extras_require');
  return start >= 0 && new RegExp(`["']${extra}["']\\s*:`).test(setupPy.slice(start));
}

interface PyprojectProject {
  name?: string;
  dependencies?: string[];
  'optional-dependencies'?: Record<string, string[]>;
  dynamic?: string[];
}

function fromPyproject(root: string, options: DependencyOptions, hasSetupPy: boolean): PythonPackage {
  const file = join(root, 'pyproject.toml');
  let project: PyprojectProject | undefined;
  try {
    project = (parseToml(readFileSync(file, 'utf8')) as { project?: PyprojectProject }).project;
  } catch (error) {
    throw new ArielError(
      'dependencies-invalid',
      `${file}: invalid TOML (${(error as Error).message.split('\n')[0]})`,
      'Fix the syntax of pyproject.toml.'
    );
  }
  const dynamic = project?.dynamic ?? [];
  if (!project?.name || dynamic.includes('dependencies') || dynamic.includes('optional-dependencies')) {
    // Metadata only the build backend can compute: let pip ask it.
    return {
      kind: 'source',
      files: [
        'pyproject.toml',
        ...(hasSetupPy ? ['setup.py'] : []),
        ...(existsSync(join(root, 'setup.cfg')) ? ['setup.cfg'] : [])
      ],
      extras: options.extras
    };
  }
  const optional = project['optional-dependencies'] ?? {};
  const extras = withAcceleratorExtra(options, options.accelerator in optional);
  const unknown = extras.filter(extra => !(extra in optional));
  if (unknown.length > 0) {
    throw new ArielError(
      'dependencies-invalid',
      `${file}: extra "${unknown[0]}" is not declared in [project.optional-dependencies].`,
      `Declared extras: ${Object.keys(optional).join(', ') || 'none'}.`
    );
  }
  const requirements = [...(project.dependencies ?? [])];
  const seen = new Set<string>();
  const addExtra = (extra: string) => {
    if (seen.has(extra)) {
      return;
    }
    seen.add(extra);
    for (const requirement of optional[extra] ?? []) {
      // An extra may name the project itself ("proj[gpu]"): expand it here instead of asking the index.
      const self = selfReference(requirement, project!.name!);
      if (self) {
        self.forEach(addExtra);
      } else if (!requirements.includes(requirement)) {
        requirements.push(requirement);
      }
    }
  };
  extras.forEach(addExtra);
  return { kind: 'pyproject', name: project.name, requirements, extras };
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function selfReference(requirement: string, projectName: string): string[] | undefined {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\]\s*$/.exec(requirement);
  if (!match || normalizeName(match[1]) !== normalizeName(projectName)) {
    return undefined;
  }
  return match[2]
    .split(',')
    .map(extra => extra.trim())
    .filter(Boolean);
}
