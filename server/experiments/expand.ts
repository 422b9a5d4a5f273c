import { ArielError } from '../errors.js';

/** One value an experiment flag can take. */
export type Scalar = string | number | boolean;

/** One job's flags, in the config's key order. */
export type Experiment = [key: string, value: Scalar][];

/**
 * Expands an experiment config with Caliban's semantics:
 * - in a dict, list values form a cartesian product and scalars count as one value;
 * - a list of dicts concatenates their expansions;
 * - a compound key "[a,b]" takes a list of lists and varies a and b together;
 * - an empty list yields no job, `{}` yields one job with no flags.
 * `where` names the config in error messages.
 */
export function expandExperiments(config: unknown, where = 'experiment config'): Experiment[] {
  if (Array.isArray(config)) {
    return config.flatMap((item, i) => {
      if (!isDict(item)) {
        throw new ArielError(
          'experiment-config-invalid',
          `${where}: item ${i} of the top-level list is not an object.`,
          'A list config holds objects, e.g. [{"lr": [0.1, 0.01]}, {"lr": 1}].'
        );
      }
      return expandDict(item, `${where} [${i}]`);
    });
  }
  if (!isDict(config)) {
    throw new ArielError(
      'experiment-config-invalid',
      `${where}: the config is neither an object nor a list of objects.`,
      'Write e.g. {"learning_rate": [0.01, 0.001], "epochs": 3}.'
    );
  }
  return expandDict(config, where);
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Each key contributes a list of alternatives; each alternative assigns one or more flags. */
function expandDict(dict: Record<string, unknown>, where: string): Experiment[] {
  let experiments: Experiment[] = [[]];
  for (const [key, value] of Object.entries(dict)) {
    const alternatives = alternativesOf(key, value, where);
    experiments = experiments.flatMap(experiment => alternatives.map(assignment => [...experiment, ...assignment]));
  }
  return experiments;
}

function alternativesOf(key: string, value: unknown, where: string): Experiment[] {
  const compound = /^\[(.*)\]$/.exec(key.trim());
  if (compound) {
    const keys = compound[1].split(',').map(k => k.trim());
    if (keys.some(k => !k)) {
      throw new ArielError(
        'experiment-config-invalid',
        `${where}: compound key "${key}" has an empty name.`,
        'Write compound keys as "[a,b]".'
      );
    }
    const tuples = Array.isArray(value) && value.every(Array.isArray) ? value : [value];
    return tuples.map(tuple => {
      if (!Array.isArray(tuple) || tuple.length !== keys.length || !tuple.every(isScalar)) {
        throw new ArielError(
          'experiment-config-invalid',
          `${where}: key "${key}" needs lists of ${keys.length} values, got ${JSON.stringify(tuple)}.`,
          `Write e.g. "${key}": [[${keys.map((_, i) => i + 1).join(', ')}], [${keys.map((_, i) => (i + 1) * 10).join(', ')}]].`
        );
      }
      return keys.map((k, i): [string, Scalar] => [k, tuple[i]]);
    });
  }
  const values = Array.isArray(value) ? value : [value];
  return values.map(v => {
    if (!isScalar(v)) {
      throw new ArielError(
        'experiment-config-invalid',
        `${where}: key "${key}" has the value ${JSON.stringify(v)}; values must be strings, numbers or booleans, or lists of them.`,
        'Nested objects and null are not allowed inside an experiment.'
      );
    }
    return [[key, v]];
  });
}

/** Command-line flags for one experiment: `true` is a bare flag, `false` is left out. */
export function experimentArgs(experiment: Experiment): string[] {
  return experiment.flatMap(([key, value]) => {
    const flag = key.startsWith('-') ? key : `--${key}`;
    if (value === true) {
      return [flag];
    }
    if (value === false) {
      return [];
    }
    return [flag, String(value)];
  });
}
