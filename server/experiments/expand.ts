import { ArielError } from '../errors.js';
import { JsonNumber, quoted, type JsonValue } from '../project/jsonc.js';

/** One value an experiment flag can take. */
export type Scalar = string | boolean | JsonNumber;

/** One job's flags, in the config's key order. */
export type Experiment = [key: string, value: Scalar][];

/** Jobs an experiment config may expand to unless the caller allows more. */
export const DEFAULT_MAX_JOBS = 10_000;

export interface ExpandOptions {
  /** Names the config in error messages. */
  where?: string;
  /** More jobs than this is an error that gives the count (default DEFAULT_MAX_JOBS). */
  maxJobs?: number;
}

/**
 * Expands an experiment config with Caliban's semantics:
 * - in a dict, list values form a cartesian product (the first key varies slowest) and scalars count as one value;
 * - a list of dicts, or of lists of dicts at any depth, concatenates their expansions;
 * - a compound key "[a,b]" takes a list of lists and varies a and b together ([1, 2] alone is one pair);
 * - an empty list yields no job, `{}` yields one job with no flags.
 * Keys follow Caliban's rule (no spaces, commas or brackets except in a compound key's "[a,b]" form),
 * and no two keys of a dict may set the same flag. The jobs are counted before any is made.
 */
export function expandExperiments(config: JsonValue, options: ExpandOptions = {}): Experiment[] {
  const where = options.where ?? 'experiment config';
  const maxJobs = options.maxJobs ?? DEFAULT_MAX_JOBS;
  const size = sizeOf(config, where);
  if (size.jobs > BigInt(maxJobs)) {
    throw new ArielError(
      'too-many-jobs',
      `${where} expands to ${countText(size.jobs)} jobs, more than the limit of ${maxJobs}.`,
      'Shorten its lists, or raise the limit if you mean it.'
    );
  }
  // Few jobs of very many flags each would still fill the memory.
  if (size.flags > BigInt(maxJobs) * BigInt(FLAGS_PER_JOB)) {
    throw new ArielError(
      'too-many-jobs',
      `${where} expands to ${size.jobs} jobs with ${countText(size.flags)} flags in all, more than ${FLAGS_PER_JOB} per job of the job limit (${maxJobs}).`,
      'Give the jobs fewer keys, or raise the limit if you mean it.'
    );
  }
  return expand(config);
}

/** With the job limit, bounds the flags of all jobs together. */
const FLAGS_PER_JOB = 100;

const CAP_DIGITS = 30;
/** Counts saturate here, so that a hostile config cannot make the count itself expensive. */
const COUNT_CAP = 10n ** BigInt(CAP_DIGITS);

function countText(count: bigint): string {
  return count >= COUNT_CAP ? `more than 10^${CAP_DIGITS}` : String(count);
}

interface Size {
  jobs: bigint;
  /** The flags of all jobs together. */
  flags: bigint;
}

/** Validates the whole config and counts its jobs and their flags without expanding it. */
function sizeOf(config: JsonValue, where: string): Size {
  if (Array.isArray(config)) {
    return config.reduce<Size>(
      (sum, item, i) => {
        const place = `${where} [${i}]`;
        if (!(item instanceof Map) && !Array.isArray(item)) {
          throw new ArielError(
            'experiment-config-invalid',
            `${place}: ${describe(item)} is neither an object nor a list of objects.`,
            'A list config holds objects (or lists of them), e.g. [{"lr": [0.1, 0.01]}, {"lr": 1}].'
          );
        }
        const size = sizeOf(item, place);
        return { jobs: saturate(sum.jobs + size.jobs), flags: saturate(sum.flags + size.flags) };
      },
      { jobs: 0n, flags: 0n }
    );
  }
  if (!(config instanceof Map)) {
    throw new ArielError(
      'experiment-config-invalid',
      `${where}: the config is ${describe(config)}, neither an object nor a list of objects.`,
      'Write e.g. {"learning_rate": [0.01, 0.001], "epochs": 3}.'
    );
  }
  const flags = new Map<string, string>();
  let jobs = 1n;
  for (const [key, value] of config) {
    const names = flagNames(key, where);
    for (const name of names) {
      const other = flags.get(name);
      if (other !== undefined) {
        throw new ArielError(
          'experiment-config-invalid',
          other === key
            ? `${where}: key ${quoted(key)} names the flag ${quoted(name)} twice.`
            : `${where}: key ${quoted(key)} sets the flag ${quoted(name)}, which key ${quoted(other)} also sets.`,
          'Give each flag one key per object; use a list of objects for alternatives.'
        );
      }
      flags.set(name, key);
    }
    jobs = saturate(jobs * BigInt(alternativesOf(key, names, value, where).length));
  }
  return { jobs, flags: saturate(jobs * BigInt(flags.size)) };
}

function saturate(count: bigint): bigint {
  return count > COUNT_CAP ? COUNT_CAP : count;
}

/** Caliban's key rule: a name without spaces, commas or brackets, or "[a,b,...]" of such names. */
const NAME = String.raw`[^\s,\[\]]+`;
const KEY = new RegExp(String.raw`^(?:${NAME}|\[\s*${NAME}(?:\s*,\s*${NAME})*\s*\])$`);

/** The flag names a key sets: itself, or the names of a compound key. */
function flagNames(key: string, where: string): string[] {
  const names = KEY.test(key) ? (key.startsWith('[') ? key.slice(1, -1).split(',') : [key]) : [];
  // Only dashes ("--" ends a command's options) or a NUL (no command line can carry one) name no flag either.
  if (names.length === 0 || names.some(name => /^\s*-+\s*$|\0/.test(name))) {
    throw new ArielError(
      'experiment-config-invalid',
      `${where}: key ${quoted(key)} is not a valid key.`,
      'A key is a flag name without spaces, commas or brackets ("learning_rate"), or a compound key "[a,b]".'
    );
  }
  return names.map(name => name.trim());
}

/** The alternatives a key contributes; each alternative assigns a value to each of the key's names. */
function alternativesOf(key: string, names: string[], value: JsonValue, where: string): Scalar[][] {
  if (!key.startsWith('[')) {
    return (Array.isArray(value) ? value : [value]).map(v => [scalar(key, v, where)]);
  }
  const sample = (scale: number) =>
    `[${names
      .slice(0, 4)
      .map((_, i) => (i + 1) * scale)
      .join(', ')}${names.length > 4 ? ', …' : ''}]`;
  const example = `${quoted(key)}: [${sample(1)}, ${sample(10)}]`;
  if (!Array.isArray(value)) {
    throw new ArielError(
      'experiment-config-invalid',
      `${where}: compound key ${quoted(key)} has ${describe(value)}; it takes a list of ${names.length} values or a list of such lists.`,
      `Write e.g. ${example}.`
    );
  }
  // As in Caliban, the first item decides: a list of lists, or one list of values.
  const tuples = Array.isArray(value[0]) ? value : value.length > 0 ? [value] : [];
  return tuples.map(tuple => {
    if (!Array.isArray(tuple) || tuple.length !== names.length) {
      throw new ArielError(
        'experiment-config-invalid',
        `${where}: compound key ${quoted(key)} needs lists of ${names.length} values, got ${describe(tuple)}.`,
        `Write e.g. ${example}.`
      );
    }
    return tuple.map(v => scalar(key, v, where));
  });
}

function scalar(key: string, value: JsonValue, where: string): Scalar {
  if (typeof value === 'string' && value.includes('\0')) {
    throw new ArielError(
      'experiment-config-invalid',
      `${where}: key ${quoted(key)} has a value with a NUL character (\\u0000), which no command line can carry.`,
      'Remove the character.'
    );
  }
  if (typeof value === 'string' || typeof value === 'boolean' || value instanceof JsonNumber) {
    return value;
  }
  throw new ArielError(
    'experiment-config-invalid',
    `${where}: key ${quoted(key)} has ${describe(value)}; values must be strings, numbers or booleans, or lists of them.`,
    'Nested objects, nested lists and null are not allowed inside an experiment.'
  );
}

/** A short description of a value for error messages; never the whole of a large value. */
function describe(value: JsonValue): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (value instanceof Map) {
    return 'an object';
  }
  return `the value ${typeof value === 'string' ? quoted(value) : value instanceof JsonNumber ? value.text.slice(0, 60) : value}`;
}

/** Expands a config that sizeOf has validated. */
function expand(config: JsonValue): Experiment[] {
  if (Array.isArray(config)) {
    return config.flatMap(expand);
  }
  const perKey = [...(config as Map<string, JsonValue>)].map(([key, value]) => {
    const names = flagNames(key, '');
    return alternativesOf(key, names, value, '').map(values =>
      names.map((name, i): [string, Scalar] => [name, values[i]])
    );
  });
  // Job j picks one alternative per key by the digits of j in mixed radix, the first key the most
  // significant (so it varies slowest): work in proportion to the output, never to partial products.
  const total = perKey.reduce((n, alternatives) => n * alternatives.length, 1);
  const experiments: Experiment[] = [];
  for (let job = 0; job < total; job += 1) {
    const choices: number[] = [];
    let rest = job;
    for (let k = perKey.length - 1; k >= 0; k -= 1) {
      choices[k] = rest % perKey[k].length;
      rest = Math.floor(rest / perKey[k].length);
    }
    experiments.push(perKey.flatMap((alternatives, k) => alternatives[choices[k]]));
  }
  return experiments;
}

/**
 * Command-line flags for one experiment, as Caliban passes them: `true` is a bare flag, `false`
 * is left out, every other value is Python's `str()` of it (so `1.0` stays `1.0`).
 */
export function experimentArgs(experiment: Experiment): string[] {
  return experiment.flatMap(([key, value]) => {
    const flag = key.startsWith('-') ? key : `--${key}`;
    if (value === true) {
      return [flag];
    }
    if (value === false) {
      return [];
    }
    return [flag, typeof value === 'string' ? value : pythonNumber(value)];
  });
}

/**
 * Python's `str()` of the number Python's json module reads from this text: an integer keeps
 * its digits; a float is written as repr() writes it (shortest round-trip digits, scientific
 * when the exponent is below -4 or at least 16, a two-digit exponent at least, ".0" on
 * integral values, "inf" for what overflows).
 */
export function pythonNumber(number: JsonNumber): string {
  if (number.isInteger) {
    return number.text === '-0' ? '0' : number.text;
  }
  const x = Number(number.text);
  if (!Number.isFinite(x)) {
    return x > 0 ? 'inf' : '-inf';
  }
  if (x === 0) {
    return Object.is(x, -0) ? '-0.0' : '0.0';
  }
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, as repr() does.
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) {
    return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  return `${sign}${whole}.${digits.slice(exponent + 1) || '0'}`;
}
