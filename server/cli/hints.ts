import type { ArielError, ErrorCode } from '../errors.js';

/** What the CLI knows of the command that failed, for the hints that name a command or a flag. */
export interface ErrorContext {
  /** The command, e.g. `build` or `cloud` (undefined before one is chosen). */
  command?: string;
  /** The image mode the command builds, where it builds one. */
  mode?: string;
  accelerator?: 'cpu' | 'gpu';
}

/** Where a CLI hint goes with respect to the hint the error carries. */
type Placement = 'instead' | 'before' | 'after' | 'fallback';

interface CliHint {
  /** The commands it applies to; every command when not given. */
  commands?: readonly string[];
  placement: Placement;
  text: (context: ErrorContext) => string | undefined;
}

/**
 * The CLI's own words for error codes: the layers below do not know the commands and flags that
 * answer their errors. One table, applied once where errors are printed (`withCliHint`).
 */
const CLI_HINTS: Partial<Record<ErrorCode, CliHint>> = {
  'history-not-found': { placement: 'fallback', text: () => 'List the recorded jobs and groups with: ariel status' },
  'project-not-found': { placement: 'fallback', text: () => 'Pass --project with an existing folder.' },
  // The way out first: narrow terminals and dialogs cut the line off.
  'gpu-unavailable': {
    commands: ['build', 'run', 'shell'],
    placement: 'before',
    text: ({ command }) => `Use ariel ${command} --cpu instead;`
  },
  'build-failed': {
    commands: ['build', 'run', 'shell'],
    placement: 'instead',
    text: ({ mode, accelerator }) =>
      mode ? `Fix the cause above, then run: ariel build --mode ${mode} --${accelerator ?? 'cpu'}` : undefined
  },
  'too-many-jobs': {
    commands: ['run', 'expand', 'cloud'],
    placement: 'instead',
    text: () => 'Shorten its lists, or pass --max-jobs N to allow up to N jobs.'
  },
  'cloud-spec-unknown': { commands: ['cloud'], placement: 'after', text: () => '(--force submits anyway.)' },
  'cloud-output-missing': {
    commands: ['cloud'],
    placement: 'after',
    text: () => 'Pass it as --output-dir gs://my-bucket/ariel.'
  }
};

/** The hint to print for an error: the error's own, with the CLI's words for its code and command. */
export function withCliHint(error: ArielError, context: ErrorContext): string | undefined {
  const entry = CLI_HINTS[error.code];
  const applies =
    entry && (!entry.commands || (context.command !== undefined && entry.commands.includes(context.command)));
  const text = applies ? entry.text(context) : undefined;
  if (!entry || text === undefined) {
    return error.hint;
  }
  switch (entry.placement) {
    case 'instead':
      return text;
    case 'fallback':
      return error.hint ?? text;
    case 'before':
      return [text, error.hint].filter(Boolean).join(' ');
    case 'after':
      return [error.hint, text].filter(Boolean).join(' ');
  }
}
