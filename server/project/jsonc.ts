import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { ArielError, positionOf } from '../errors.js';

/**
 * Parses JSON with comments and trailing commas, as Caliban's config files allow.
 * A syntax error names the file, the line and the column.
 */
export function parseJsonc(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const { error, offset } = errors[0];
    const { line, column } = positionOf(text, offset);
    throw new ArielError(
      'config-invalid',
      `${file}:${line}:${column}: invalid JSON (${describeParseError(printParseErrorCode(error))})`,
      'Fix the syntax at that position; comments and trailing commas are allowed.'
    );
  }
  return value;
}

function describeParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** "file:line:column" of the value at a JSON path, or just "file" when it cannot be found. */
export function locate(text: string, file: string, path: (string | number)[]): string {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const node = root && findNodeAtLocation(root, path);
  // Point at the key of an object property rather than at its value.
  const target = node?.parent?.type === 'property' ? node.parent : node;
  if (!target) {
    return file;
  }
  const { line, column } = positionOf(text, target.offset);
  return `${file}:${line}:${column}`;
}
