import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ArielError } from '../errors.js';
import { locate, parseJsoncWithWarnings } from './jsonc.js';

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
}

export const CONFIG_FILES = ['.ariel.json', '.calibanconfig.json'] as const;
export type ConfigFileName = (typeof CONFIG_FILES)[number];

interface RawConfig {
  base_image?: string | Partial<Record<Accelerator, string>>;
  apt_packages?: string[] | Partial<Record<Accelerator, string[]>>;
  extras?: string[];
  env?: string[];
  build?: { network?: string; pip_index_url?: string; pip_extra_index_url?: string | string[] };
  kernel?: { network?: 'host' | 'ports' };
}

const schema = JSON.parse(
  readFileSync(new URL('../../../schema/project-config.schema.json', import.meta.url), 'utf8')
) as Record<string, unknown>;

// verbose: errors carry their schema node, which the messages describe. The schema itself is
// checked against JSON Schema's meta-schema by a test, not at every start: compiling validators
// is most of what a kernel launcher spends before it talks to Docker, so each is compiled on first use.
const ajv = new Ajv({ allErrors: false, verbose: true, validateSchema: false });
const validators = new Map<ConfigFileName, ValidateFunction<RawConfig>>();

function validatorFor(kind: ConfigFileName): ValidateFunction<RawConfig> {
  let validate = validators.get(kind);
  if (!validate) {
    // Caliban's files may carry keys Ariel does not know; only the known ones are checked.
    validate = ajv.compile<RawConfig>(
      kind === '.ariel.json' ? schema : { ...schema, $id: 'caliban-config', additionalProperties: true }
    );
    validators.set(kind, validate);
  }
  return validate;
}

export function emptyConfig(): ProjectConfig {
  return {
    baseImage: {},
    aptPackages: { cpu: [], gpu: [] },
    extras: [],
    env: [],
    build: { pipExtraIndexUrls: [] },
    kernel: {}
  };
}

/**
 * Reads and validates `.ariel.json` or `.calibanconfig.json`; errors name the file, the key and what was expected.
 * Warnings (duplicate keys) are appended to `warnings`.
 */
export function loadConfig(path: string, kind: ConfigFileName, warnings: string[] = []): ProjectConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ArielError('file-unreadable', `Cannot read ${path}: ${(error as Error).message}`);
  }
  const { value: raw, warnings: found } = parseJsoncWithWarnings(text, path);
  warnings.push(...found);
  const validate = validatorFor(kind);
  if (!validate(raw)) {
    throw schemaError(validate.errors ?? [], text, path);
  }
  return normalize(raw);
}

function normalize(raw: RawConfig): ProjectConfig {
  const config = emptyConfig();
  if (typeof raw.base_image === 'string') {
    // Caliban: a "{}" in the name stands for the accelerator.
    config.baseImage = {
      cpu: raw.base_image.replaceAll('{}', 'cpu'),
      gpu: raw.base_image.replaceAll('{}', 'gpu')
    };
  } else if (raw.base_image) {
    config.baseImage = { ...raw.base_image };
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
  const keyName = (segments: (string | number)[]) =>
    segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(top level)';

  if (error.keyword === 'additionalProperties') {
    const unknown = (error.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {}).filter(
      k => k !== '$schema'
    );
    return new ArielError(
      'config-invalid',
      `${locate(text, file, [...path, unknown])}: unknown key "${keyName([...path, unknown])}"`,
      `Allowed keys here: ${allowed.join(', ')}.`
    );
  }
  return new ArielError(
    'config-invalid',
    `${locate(text, file, path)}: key "${keyName(path)}" ${describeProblem(error)}`,
    `Expected ${describeExpected(error.parentSchema as SchemaNode)}.`
  );
}

interface SchemaNode {
  type?: string;
  enum?: unknown[];
  oneOf?: SchemaNode[];
  $ref?: string;
  items?: SchemaNode;
  pattern?: string;
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
      return `a list of ${describeExpected(node.items).replace(/^an? (\S+)/, '$1s')}`;
    case 'object':
      return node.properties ? `an object with keys ${Object.keys(node.properties).join(', ')}` : 'an object';
    case 'string':
      return node.pattern ? `a string matching ${node.pattern}` : 'a string';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${node.type ?? 'value'}`;
  }
}
