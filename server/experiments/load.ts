import { ArielError } from '../errors.js';
import { parseJsoncExact } from '../project/jsonc.js';
import { readTextFile, readTextStream } from '../project/read.js';
import { expandExperiments, experimentArgs, type Experiment } from './expand.js';

export interface LoadedExperiments {
  /** One argument list per job. */
  jobs: string[][];
  /** The same jobs' keys and values, with their types (for notebook parameters). */
  experiments: Experiment[];
  /** Problems that do not stop the expansion (duplicate keys), one line each. */
  warnings: string[];
}

/**
 * Reads an experiment config from a file, or from standard input when `file` is "-" or "stdin",
 * and expands it. `#` and `//` comments are allowed, as Caliban's reader allows them.
 */
export async function loadExperimentArgs(file: string, options: { maxJobs?: number } = {}): Promise<LoadedExperiments> {
  if (file === '') {
    throw new ArielError(
      'experiment-config-invalid',
      'The experiment config path is empty.',
      'Name a JSON file, or "stdin" to read standard input.'
    );
  }
  const fromStdin = file === '-' || file === 'stdin';
  const name = fromStdin ? 'standard input' : file;
  const source = fromStdin ? await readTextStream(process.stdin, name) : readTextFile(file);
  const { value, warnings } = parseJsoncExact(source, name, {
    hashComments: true,
    code: 'experiment-config-invalid'
  });
  const experiments = expandExperiments(value, { where: name, maxJobs: options.maxJobs });
  return { jobs: experiments.map(experimentArgs), experiments, warnings };
}
