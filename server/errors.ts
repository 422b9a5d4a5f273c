/**
 * An error the user can act on: what went wrong, and what to do about it.
 * The CLI prints these as two lines and exits non-zero, without a stack trace;
 * the companion server will send them as JSON.
 */
export class ArielError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1
  ) {
    super(message);
    this.name = 'ArielError';
  }
}

/** Line and column (both 1-based) of a character offset in a text. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
