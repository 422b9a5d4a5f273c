import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { ArielError } from '../errors.js';
import { parseJsonc } from '../project/jsonc.js';
import { expandExperiments, experimentArgs } from './expand.js';

/**
 * Reads an experiment config from a file, or from standard input when `file` is "-"
 * or "stdin", and returns one argument list per job.
 */
export async function loadExperimentArgs(file: string): Promise<string[][]> {
  const fromStdin = file === '-' || file === 'stdin';
  const name = fromStdin ? 'standard input' : file;
  let source: string;
  try {
    source = fromStdin ? await text(process.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw new ArielError(
      'file-unreadable',
      `Cannot read experiment config ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'Check the path.'
    );
  }
  return expandExperiments(parseJsonc(source, name), name).map(experimentArgs);
}
