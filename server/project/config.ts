import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ArielError } from '../errors.js';
import { calibanWarnings } from './caliban.js';
import { locate, parseJsoncWithWarnings } from './jsonc.js';
import { readTextFile } from './read.js';
import {
  IMAGE_REFERENCE,
  INDEX_URL,
  INDEX_URLS,
  maskCredentials,
  NETWORK_NAME,
  TRACKING_URI,
  type Rule
} from './values.js';

export type Accelerator = 'cpu' | 'gpu';
export const ACCELERATORS: readonly Accelerator[] = ['cpu', 'gpu'];

/** A project's configuration with Caliban's alternative spellings resolved. */
export interface ProjectConfig {
  /** Base image per accelerator, when the project chose one. */
  baseImage: Partial<Record<Accelerator, string>>;
  aptPackages: Record<Accelerator, string[]>;
  extras: string[];
  /** Host environment variables passed to containers at run time. */
  env: string[];
  build: {
    network?: string;
    pipIndexUrl?: string;
    pipExtraIndexUrls: string[];
  };
  kernel: { network?: 'host' | 'ports' };
  /** Run-time settings of local containers, as written (see server/docker/settings.ts). */
  run: RunConfig;
  /** The user config's run-time settings by project root (the user config only). */
  projects?: Record<string, RunConfig>;
  /** The MLflow tracking server of local and cloud jobs, as written (see mlflow.ts). */
  mlflow?: MlflowConfig;
}

/** The `mlflow` key: where jobs log their runs. */
export interface MlflowConfig {
  trackingUri?: string;
  experiment?: string;
}

/** The `run` key: settings given to local containers at run time, never to an image. */
export interface RunConfig {
  shm_size?: string;
  ipc?: 'host' | 'private';
  mounts?: { source: string; target: string; readonly?: boolean }[];
  memory?: string;
  cpus?: number;
  pids_limit?: number;
  gpus?: 'all' | number | string[];
  cloud_credentials?: boolean;
  docker_run_args?: string;
}

export const CONFIG_FILES = ['.ariel.json', '.calibanconfig.json'] as const;
export type ConfigFileName = (typeof CONFIG_FILES)[number];
/** A project's config file, or the per-user config (`user`), which takes the `build` keys and per-project `run` keys. */
export type ConfigKind = ConfigFileName | 'user';

interface RawConfig {
  base_image?: string | Partial<Record<Accelerator, string>>;
  apt_packages?: string[] | Partial<Record<Accelerator, string[]>>;
  extras?: string[];
  env?: string[];
  build?: { network?: string; pip_index_url?: string; pip_extra_index_url?: string | string[] };
  kernel?: { network?: 'host' | 'ports' };
  run?: RunConfig;
  projects?: Record<string, { run?: RunConfig }>;
  mlflow?: { tracking_uri?: string; experiment?: string };
}

const schema = JSON.parse(
  readFileSync(new URL('../../../schema/project-config.schema.json', import.meta.url), 'utf8')
) as Record<string, unknown>;

// verbose: errors carry their schema node, which the messages describe. The schema itself is
// checked against JSON Schema's meta-schema by a test, not at every start: compiling validators
// is most of what a kernel launcher spends before it talks to Docker, so each is compiled on first use.
const ajv = new Ajv({ allErrors: false, verbose: true, validateSchema: false });
const validators = new Map<ConfigKind, ValidateFunction<RawConfig>>();

function validatorFor(kind: ConfigKind): ValidateFunction<RawConfig> {
  let validate = validators.get(kind);
  if (!validate) {
    validate = ajv.compile<RawConfig>(schemaFor(kind));
    validators.set(kind, validate);
  }
  return validate;
}

function schemaFor(kind: ConfigKind): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown>;
  switch (kind) {
    case '.ariel.json':
      return schema;
    case '.calibanconfig.json':
      // Caliban's files may carry keys Ariel does not know; only the known ones are checked.
      return { ...schema, $id: 'caliban-config', additionalProperties: true };
    case 'user':
      return {
        ...schema,
        $id: 'ariel-user-config',
        properties: {
          $schema: properties.$schema,
          build: properties.build,
          mlflow: properties.mlflow,
          projects: {
            description: 'Settings for one machine, by project root (an absolute path).',
            type: 'object',
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              properties: { run: properties.run }
            }
          }
        }
      };
  }
}

export function emptyConfig(): ProjectConfig {
  return {
    baseImage: {},
    aptPackages: { cpu: [], gpu: [] },
    extras: [],
    env: [],
    build: { pipExtraIndexUrls: [] },
    kernel: {},
    run: {}
  };
}

/**
 * Reads and validates `.ariel.json`, `.calibanconfig.json` or the user config; errors name the
 * file, the key and what was expected. Every value that reaches a Dockerfile or a build is
 * checked against what it may legally be. Warnings (duplicate keys) are appended to `warnings`.
 */
export function loadConfig(path: string, kind: ConfigKind, warnings: string[] = []): ProjectConfig {
  const text = readTextFile(path);
  const { value: raw, warnings: found } = parseJsoncWithWarnings(text, path);
  warnings.push(...found);
  const validate = validatorFor(kind);
  if (!validate(raw)) {
    throw schemaError(validate.errors ?? [], text, path);
  }
  const config = normalize(raw);
  checkValues(raw, config, text, path);
  if (kind !== 'user') {
    warnings.push(...calibanWarnings(raw, Object.keys(schema.properties as object), path));
  }
  return config;
}

/** Caliban's spelling of base images: `{}` stands for the accelerator, `dlvm:` names a Deep Learning VM image. */
export function expandBaseImage(name: string, accelerator: Accelerator): string {
  return expandDlvm(name.replaceAll('{}', accelerator));
}

/** Caliban's table of DLVM images (caliban/config/__init__.py): framework to the versions it knows. */
const DLVMS: Record<string, string[]> = {
  pytorch: ['1.0', '1.1', '1.2', '1.3', '1.4'],
  tf: ['1.0', '1.13', '1.14', '1.15'],
  tf2: ['2.0', '2.1', '2.2']
};

/**
 * `dlvm:LIB-MODE[-VERSION]` as Caliban expands it: `dlvm:pytorch-cpu-1.4` is
 * `gcr.io/deeplearning-platform-release/pytorch-cpu.1-4`. Other names are returned unchanged.
 */
function expandDlvm(name: string): string {
  const match = /^dlvm:([a-z0-9]+)-(cpu|gpu)(?:-(.+))?$/.exec(name);
  const versions = match && Object.hasOwn(DLVMS, match[1]) ? DLVMS[match[1]] : undefined;
  if (!match || !versions || (match[3] !== undefined && !versions.includes(match[3]))) {
    return name;
  }
  const [, lib, mode, version] = match;
  return `gcr.io/deeplearning-platform-release/${lib}-${mode}${version ? `.${version.replaceAll('.', '-')}` : ''}`;
}

/** After expansion, a `dlvm:` name left is one Caliban does not know either. */
const KNOWN_DLVM: Rule = {
  check: name => (name.startsWith('dlvm:') ? 'is not a DLVM image Caliban knows' : undefined),
  expected: `one of ${Object.entries(DLVMS)
    .map(([lib, versions]) => `dlvm:${lib}-{}[-${versions.join('|')}]`)
    .join(', ')}`
};

/** Values the schema cannot judge: image references, index URLs and the build network. */
function checkValues(raw: RawConfig, config: ProjectConfig, text: string, file: string): void {
  const check = (path: (string | number)[], value: string | undefined, ...rules: Rule[]) => {
    for (const rule of value === undefined ? [] : rules) {
      const problem = rule.check(value!);
      if (problem) {
        throw new ArielError(
          'config-invalid',
          `${locate(text, file, path)}: key "${keyName(path)}" ${problem}: ${JSON.stringify(shorten(maskCredentials(value!)))}`,
          `Expected ${rule.expected}.`
        );
      }
    }
  };
  for (const accelerator of ACCELERATORS) {
    const path = typeof raw.base_image === 'string' ? ['base_image'] : ['base_image', accelerator];
    check(path, config.baseImage[accelerator], KNOWN_DLVM, IMAGE_REFERENCE);
  }
  const build = raw.build ?? {};
  check(['build', 'pip_index_url'], build.pip_index_url, INDEX_URL);
  const extra = build.pip_extra_index_url;
  if (typeof extra === 'string') {
    check(['build', 'pip_extra_index_url'], extra, INDEX_URLS);
  } else {
    extra?.forEach((url, i) => check(['build', 'pip_extra_index_url', i], url, INDEX_URL));
  }
  check(['build', 'network'], build.network, NETWORK_NAME);
  check(['mlflow', 'tracking_uri'], raw.mlflow?.tracking_uri, TRACKING_URI);
  for (const root of Object.keys(raw.projects ?? {})) {
    if (!root.startsWith('/')) {
      throw new ArielError(
        'config-invalid',
        `${locate(text, file, ['projects', root])}: key "projects" has ${JSON.stringify(shorten(root))}, which is not an absolute path`,
        'Key each project by the absolute path of its root folder, e.g. "/home/me/digits".'
      );
    }
  }
}

/** A value short enough to quote in a message. */
export function shorten(value: string, max = 120): string {
  return value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value;
}

function normalize(raw: RawConfig): ProjectConfig {
  const config = emptyConfig();
  if (typeof raw.base_image === 'string') {
    config.baseImage = {
      cpu: expandBaseImage(raw.base_image, 'cpu'),
      gpu: expandBaseImage(raw.base_image, 'gpu')
    };
  } else if (raw.base_image) {
    for (const accelerator of ACCELERATORS) {
      const name = raw.base_image[accelerator];
      if (name !== undefined) {
        config.baseImage[accelerator] = expandBaseImage(name, accelerator);
      }
    }
  }
  if (Array.isArray(raw.apt_packages)) {
    config.aptPackages = { cpu: [...raw.apt_packages], gpu: [...raw.apt_packages] };
  } else if (raw.apt_packages) {
    config.aptPackages = { cpu: raw.apt_packages.cpu ?? [], gpu: raw.apt_packages.gpu ?? [] };
  }
  config.extras = raw.extras ?? [];
  config.env = raw.env ?? [];
  const extra = raw.build?.pip_extra_index_url;
  config.build = {
    network: raw.build?.network,
    pipIndexUrl: raw.build?.pip_index_url,
    pipExtraIndexUrls: extra === undefined ? [] : typeof extra === 'string' ? extra.split(/\s+/).filter(Boolean) : extra
  };
  config.kernel = { network: raw.kernel?.network };
  config.run = { ...raw.run };
  if (raw.mlflow) {
    config.mlflow = {
      ...(raw.mlflow.tracking_uri === undefined ? {} : { trackingUri: raw.mlflow.tracking_uri }),
      ...(raw.mlflow.experiment === undefined ? {} : { experiment: raw.mlflow.experiment })
    };
  }
  if (raw.projects) {
    config.projects = Object.fromEntries(Object.entries(raw.projects).map(([root, entry]) => [root, { ...entry.run }]));
  }
  return config;
}

function schemaError(errors: ErrorObject[], text: string, file: string): ArielError {
  // Report the deepest problem: it is the most specific one. On a tie, the last one wins: a failed
  // oneOf comes after its branches' errors and names every form the value may take.
  const error = errors.reduce((best, e) => (e.instancePath.length >= best.instancePath.length ? e : best));
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map(segment => (/^\d+$/.test(segment) ? Number(segment) : segment.replaceAll('~1', '/').replaceAll('~0', '~')));

  if (error.keyword === 'additionalProperties') {
    const unknown = (error.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {}).filter(
      k => k !== '$schema'
    );
    return new ArielError(
      'config-invalid',
      `${locate(text, file, [...path, unknown])}: ${unknown === '' ? `empty key ""${path.length > 0 ? ` in "${keyName(path)}"` : ''}` : `unknown key "${keyName([...path, unknown])}"`}`,
      `Allowed keys here: ${allowed.join(', ')}.`
    );
  }
  return new ArielError(
    'config-invalid',
    `${locate(text, file, path)}: ${path.length > 0 ? `key "${keyName(path)}"` : 'the file'} ${describeProblem(error)}`,
    `Expected ${describeExpected(error.parentSchema as SchemaNode)}.`
  );
}

/** A JSON path as a user reads it: `build.pip_extra_index_url[1]`. */
function keyName(segments: (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

interface SchemaNode {
  type?: string;
  enum?: unknown[];
  oneOf?: SchemaNode[];
  $ref?: string;
  items?: SchemaNode;
  pattern?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
}

function describeProblem(error: ErrorObject): string {
  return error.keyword === 'oneOf' ? 'has the wrong form' : (error.message ?? 'is invalid');
}

/** A short human description of what a schema node accepts. */
function describeExpected(node: SchemaNode | undefined): string {
  if (!node) {
    return 'a valid value';
  }
  if (node.$ref) {
    return describeExpected((schema.definitions as Record<string, SchemaNode>)[node.$ref.split('/').pop()!]);
  }
  if (node.oneOf) {
    return node.oneOf.map(describeExpected).join(', or ');
  }
  if (node.enum) {
    return `one of ${node.enum.map(v => JSON.stringify(v)).join(', ')}`;
  }
  switch (node.type) {
    case 'array':
      return node.items?.description
        ? `a list of strings, each ${node.items.description}`
        : `a list of ${describeExpected(node.items).replace(/^an? (\S+)/, '$1s')}`;
    case 'object':
      return node.properties ? `an object with keys ${Object.keys(node.properties).join(', ')}` : 'an object';
    case 'string':
      return node.pattern ? (node.description ?? `a string matching ${node.pattern}`) : 'a string';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${node.type ?? 'value'}`;
  }
}
