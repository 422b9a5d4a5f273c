import type { ErrorCode } from './http/contract.js';

/**
 * The stable codes of Ariel's errors are declared once, in the wire contract (the browser reads
 * them too). Entry points decide what a code means to their users: the CLI turns codes into exit
 * codes and command wording, the companion server into HTTP statuses; tests match codes, not
 * message text.
 */
export type { ErrorCode };

/**
 * An error the user can act on: a stable code, what went wrong, and what to do about it.
 * The CLI prints these as two lines and exits non-zero, without a stack trace;
 * the companion server sends them as JSON `{code, message, hint}`.
 */
export class ArielError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string
  ) {
    super(message);
    this.name = 'ArielError';
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** The operation was stopped on request; whatever it had started has been cleaned up. */
export class CancelledError extends ArielError {
  constructor(message: string) {
    super('cancelled', message);
    this.name = 'CancelledError';
  }
}

/** Line and column (both 1-based) of a character offset in a text. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
