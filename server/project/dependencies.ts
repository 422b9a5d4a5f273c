import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ArielError } from '../errors.js';
import { isInside } from '../paths.js';
import type { Accelerator } from './config.js';
import { entryExists, readProjectFile } from './read.js';
import { EXTRA_NAME, maskCredentials } from './values.js';

/**
 * What the image must install from the project's own files. Paths are relative
 * to the project root; they are what the Dockerfile copies from the build context.
 */
export interface Dependencies {
  /** `requirements.txt`, when present. */
  requirements?: string;
  /** Files `requirements.txt` includes (`-r`, `-c`), recursively; copied beside it, at the same paths. */
  requirementIncludes?: string[];
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
  // A dangling link counts as present, so that reading it says what is wrong with it.
  const has = (file: string) => entryExists(join(root, file));
  const deps: Dependencies = {};
  for (const extra of options.extras) {
    const problem = EXTRA_NAME.check(extra);
    if (problem) {
      throw new ArielError(
        'dependencies-invalid',
        `Extra ${JSON.stringify(extra)} ${problem}.`,
        `Expected ${EXTRA_NAME.expected}.`
      );
    }
  }
  if (has('pyproject.toml')) {
    deps.package = fromPyproject(root, options, has('setup.py'));
  } else if (has('setup.py')) {
    const source = readProjectFile(root, join(root, 'setup.py'));
    const setupCfg = has('setup.cfg') ? readProjectFile(root, join(root, 'setup.cfg')) : '';
    if (options.extras.length > 0 && !source.includes('extras_require') && !setupCfg.includes('extras_require')) {
      throw new ArielError(
        'dependencies-invalid',
        `Extra "${options.extras[0]}" was asked for, but ${join(root, 'setup.py')} declares no extras (no extras_require).`,
        'Declare it in extras_require, or stop asking for it (it may come from the config\'s "extras").'
      );
    }
    deps.package = {
      kind: 'source',
      files: ['setup.py', ...(has('setup.cfg') ? ['setup.cfg'] : [])],
      extras: withAcceleratorExtra(options, declaresExtra(source, options.accelerator))
    };
  } else if (options.extras.length > 0) {
    throw new ArielError(
      'dependencies-invalid',
      `Extra "${options.extras[0]}" was asked for, but project ${root} has no package to take extras from (no setup.py or pyproject.toml).`,
      'Stop asking for it (it may come from the config\'s "extras"), or add a package that declares it.'
    );
  }
  if (has('requirements.txt')) {
    deps.requirements = 'requirements.txt';
    const includes = requirementIncludes(root, 'requirements.txt', deps.package !== undefined, new Set());
    if (includes.length > 0) {
      deps.requirementIncludes = includes;
    }
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

/**
 * The files a requirements file includes with `-r`/`-c` (relative to it, as pip reads them),
 * recursively, as paths relative to the root. An include outside the project or missing, and
 * a requirement on a folder of the project (`-e .`), fail here rather than minutes into a build.
 */
function requirementIncludes(root: string, file: string, hasPackage: boolean, seen: Set<string>): string[] {
  seen.add(file);
  const path = join(root, file);
  const includes: string[] = [];
  logicalLines(readProjectFile(root, path)).forEach(({ text, line }) => {
    const where = `${path}:${line}`;
    // Lines are quoted with the credentials of their URLs masked.
    const quoted = maskCredentials(text);
    const include = /^(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?<=^-[rc]))(\S+)$/.exec(text);
    const local = /^(?:(?:-e|--editable)(?:\s*=\s*|\s+))?(\.{1,2}(?:[/\\]\S*)?|\/\S*|file:\S*)$/.exec(text);
    if (include) {
      const target = include[1];
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
        return; // pip fetches an included URL itself
      }
      const absolute = resolve(dirname(path), target);
      const inProject = relative(root, absolute);
      if (!isInside(root, absolute)) {
        throw new ArielError(
          'dependencies-invalid',
          `${where}: "${quoted}" includes ${absolute}, which is outside the project.`,
          'Only files inside the project are sent to the build; move the included file into the project.'
        );
      }
      if (!entryExists(absolute)) {
        throw new ArielError(
          'dependencies-invalid',
          `${where}: "${quoted}" includes ${absolute}, which does not exist.`,
          'Fix the path, or remove the line.'
        );
      }
      if (/\s|["'\\]/.test(inProject)) {
        throw new ArielError(
          'dependencies-invalid',
          `${where}: the included file's path has a space, quote or backslash.`,
          'Rename it.'
        );
      }
      const name = inProject.split(sep).join('/');
      if (!seen.has(name)) {
        includes.push(name, ...requirementIncludes(root, name, hasPackage, seen));
      }
    } else if (local) {
      throw new ArielError(
        'dependencies-invalid',
        `${where}: "${quoted}" installs from a path on this machine, which the image's dependency stage does not have (only requirements files are copied there).`,
        resolve(dirname(path), local[1].replace(/^file:(\/\/)?/, '')) !== root
          ? 'Install that package from an index, or list its dependencies here instead.'
          : hasPackage
            ? "Remove the line: Ariel installs the dependencies of the project's package from setup.py or pyproject.toml, and runs the code from the project folder."
            : 'The project has no setup.py or pyproject.toml for it to install; remove the line.'
      );
    }
  });
  return [...new Set(includes)];
}

/** A requirements file's lines, comments removed and `\` continuations joined, with their 1-based numbers. */
function logicalLines(text: string): { text: string; line: number }[] {
  const result: { text: string; line: number }[] = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!pending) {
      start = i + 1;
    }
    const content = raw.replace(/(^|\s)#.*$/, '');
    if (content.endsWith('\\')) {
      pending += content.slice(0, -1);
      return;
    }
    const full = (pending + content).trim();
    pending = '';
    if (full) {
      result.push({ text: full, line: start });
    }
  });
  return result;
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
  const text = readProjectFile(root, file);
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text);
  } catch (error) {
    throw new ArielError(
      'dependencies-invalid',
      `${file}: invalid TOML (${(error as Error).message.split('\n')[0]})`,
      'Fix the syntax of pyproject.toml.'
    );
  }
  const project = checkPyproject(parsed.project, file);
  const dynamic = project?.dynamic ?? [];
  if (!project?.name || dynamic.includes('dependencies') || dynamic.includes('optional-dependencies')) {
    // Metadata only the build backend can compute: let pip ask it.
    return {
      kind: 'source',
      files: [
        'pyproject.toml',
        ...(hasSetupPy ? ['setup.py'] : []),
        ...(entryExists(join(root, 'setup.cfg')) ? ['setup.cfg'] : [])
      ],
      extras: options.extras
    };
  }
  // From here on, the package's metadata is static: an extra asked for must be declared.
  const optional = project['optional-dependencies'] ?? {};
  const declared = (extra: string) => Object.hasOwn(optional, extra);
  const extras = withAcceleratorExtra(options, declared(options.accelerator));
  const unknown = extras.filter(extra => !declared(extra));
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
    for (const requirement of declared(extra) ? optional[extra] : []) {
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

/** The `[project]` table with the types PEP 621 gives its keys; a wrong type names the key. */
function checkPyproject(project: unknown, file: string): PyprojectProject | undefined {
  if (project === undefined) {
    return undefined;
  }
  const wrong = (key: string, expected: string) =>
    new ArielError(
      'dependencies-invalid',
      `${file}: [project] key "${key}" has the wrong type.`,
      `Expected ${expected}, e.g. ${key === 'name' ? 'name = "proj"' : key === 'optional-dependencies' ? '[project.optional-dependencies] gpu = ["jax[cuda12]"]' : `${key} = ["numpy"]`}.`
    );
  const isStrings = (value: unknown) => Array.isArray(value) && value.every(item => typeof item === 'string');
  if (!isTable(project)) {
    throw wrong('project', 'a table');
  }
  if (project.name !== undefined && typeof project.name !== 'string') {
    throw wrong('name', 'a string');
  }
  for (const key of ['dependencies', 'dynamic'] as const) {
    if (project[key] !== undefined && !isStrings(project[key])) {
      throw wrong(key, 'a list of strings');
    }
  }
  const optional = project['optional-dependencies'];
  if (optional !== undefined) {
    if (!isTable(optional)) {
      throw wrong('optional-dependencies', 'a table of lists of strings');
    }
    const bad = Object.entries(optional).find(([, value]) => !isStrings(value));
    if (bad) {
      throw wrong(`optional-dependencies.${bad[0]}`, 'a list of strings');
    }
  }
  return project as PyprojectProject;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
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
