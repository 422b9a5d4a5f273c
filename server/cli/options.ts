import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_JOBS } from '../experiments/expand.js';

/**
 * What the CLI's commands share: their wording for warnings and the parsers of their options.
 * (The Ctrl-C handling is the program's own, in main.ts: every command gets its signal.)
 */

/** Warnings are data from the layers below; the CLI prints them on stderr. */
export function warn(warnings: string[]): void {
  for (const warning of warnings) {
    process.stderr.write(`ariel: warning: ${warning}\n`);
  }
}

/** A whole number of at least 1, as an option's value; commander names the option in its refusal. */
export function positiveInt(value: string): number {
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('Expected a whole number of at least 1.');
  }
  return Number(value);
}

/** Collects a repeatable option's values. */
export function repeatable(value: string, all: string[] = []): string[] {
  return [...all, value];
}

/** `--max-jobs`, of every command that expands an experiment config. */
export function maxJobsOption(): Option {
  return new Option('--max-jobs <n>', 'refuse an experiment config that expands to more jobs')
    .default(DEFAULT_MAX_JOBS)
    .argParser(positiveInt);
}
