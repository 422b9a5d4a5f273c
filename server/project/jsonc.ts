import {
  createScanner,
  findNodeAtLocation,
  parseTree,
  printParseErrorCode,
  SyntaxKind,
  type Node,
  type ParseError
} from 'jsonc-parser';
import { ArielError, positionOf, type ErrorCode } from '../errors.js';

/** Configs nest a few levels; deeper input is refused before the (recursive) parser sees it. */
export const MAX_JSON_DEPTH = 64;

/** A JSON number as written, so that `1.0` stays a float and big integers keep their digits. */
export class JsonNumber {
  constructor(readonly text: string) {}

  /** True when the text has no fraction and no exponent, as Python's json module reads an int. */
  get isInteger(): boolean {
    return /^-?\d+$/.test(this.text);
  }
}

/** A JSON value as written: numbers keep their text, objects their key order (as a Python dict does). */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | Map<string, JsonValue>;

export interface Parsed<T> {
  value: T;
  /** One line per duplicate key, naming the file, both lines and which value is kept. */
  warnings: string[];
}

export interface JsoncOptions {
  /** Also take `#` to the end of the line as a comment, as Caliban's commentjson does. */
  hashComments?: boolean;
  /** The code of syntax errors (default 'config-invalid'). */
  code?: ErrorCode;
  /** Deeper nesting is refused (default and at most MAX_JSON_DEPTH: the parser recurses). */
  maxDepth?: number;
}

/**
 * Parses JSON with comments and trailing commas, as Caliban's config files allow, with
 * JSON.parse's values (the last of duplicate keys wins, `__proto__` is an ordinary key).
 * A syntax error names the file, the line and the column.
 */
export function parseJsoncWithWarnings(text: string, file: string, options: JsoncOptions = {}): Parsed<unknown> {
  return convert<unknown>(text, file, options, {
    number: node => node.value,
    object: entries => {
      const object: Record<string, unknown> = {};
      for (const [key, value] of entries) {
        // An own property even for "__proto__", as JSON.parse makes it.
        Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
  });
}

/** Parses like parseJsoncWithWarnings but keeps numbers' text and key order exactly: see JsonValue. */
export function parseJsoncExact(text: string, file: string, options: JsoncOptions = {}): Parsed<JsonValue> {
  return convert<JsonValue>(text, file, options, {
    number: (node, source) => new JsonNumber(source.slice(node.offset, node.offset + node.length)),
    object: entries => new Map(entries)
  });
}

interface Builders<T> {
  number(node: Node, text: string): T;
  object(entries: [string, T][]): T;
}

function convert<T>(source: string, file: string, options: JsoncOptions, build: Builders<T>): Parsed<T> {
  const code = options.code ?? 'config-invalid';
  const text = options.hashComments ? blankHashComments(source) : source;
  checkDepth(text, file, code, Math.min(options.maxDepth ?? MAX_JSON_DEPTH, MAX_JSON_DEPTH));
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !root) {
    const { error, offset } = errors[0] ?? { error: 'ValueExpected', offset: 0 };
    const { line, column } = positionOf(text, offset);
    const what = typeof error === 'string' ? error : printParseErrorCode(error);
    throw new ArielError(
      code,
      `${file}:${line}:${column}: invalid JSON (${describeParseError(what)})`,
      `Fix the syntax at that position; comments${options.hashComments ? ' (//, /* */ and #)' : ''} and trailing commas are allowed.`
    );
  }
  const warnings: string[] = [];
  let duplicates = 0;
  const value = (node: Node): T => {
    switch (node.type) {
      case 'object': {
        const entries = new Map<string, T>();
        const offsets = new Map<string, number>();
        for (const property of node.children ?? []) {
          const [keyNode, valueNode] = property.children ?? [];
          const key = keyNode.value as string;
          const previous = offsets.get(key);
          duplicates += previous === undefined ? 0 : 1;
          if (previous !== undefined && duplicates <= MAX_DUPLICATE_WARNINGS) {
            const line = positionOf(text, keyNode.offset).line;
            warnings.push(
              `${file}:${line}: duplicate key ${quoted(key)} (also on line ${positionOf(text, previous).line}); the last value is used.`
            );
          }
          offsets.set(key, keyNode.offset);
          // A Map keeps a repeated key at its first position, as JSON.parse and Python do.
          entries.set(key, valueNode ? value(valueNode) : (null as T));
        }
        return build.object([...entries]);
      }
      case 'array':
        return (node.children ?? []).map(value) as T;
      case 'number':
        return build.number(node, text);
      default:
        return node.value as T;
    }
  };
  const result = value(root);
  if (duplicates > MAX_DUPLICATE_WARNINGS) {
    warnings.push(`${file}: ${duplicates - MAX_DUPLICATE_WARNINGS} more duplicate keys.`);
  }
  return { value: result, warnings };
}

/** Enough to show a pattern; a file of thousands of duplicates is not read out line by line. */
const MAX_DUPLICATE_WARNINGS = 20;

/** A key or value in double quotes for a message, shortened when it is long. */
export function quoted(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Refuses nesting deeper than maxDepth, with an iterative scan (no recursion to overflow). */
function checkDepth(text: string, file: string, code: ErrorCode, maxDepth: number): void {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      depth += 1;
      if (depth > maxDepth) {
        const { line, column } = positionOf(text, scanner.getTokenOffset());
        throw new ArielError(
          code,
          `${file}:${line}:${column}: objects and lists are nested deeper than ${maxDepth} levels.`,
          'A config needs only a few levels; check that this is the file you meant.'
        );
      }
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) {
      depth = Math.max(0, depth - 1);
    }
  }
}

/** Replaces `#` comments (outside strings) with spaces, so that offsets, lines and columns stay true. */
function blankHashComments(text: string): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // Skip the string, escapes included; an unterminated one ends at the line's end, as the parser's does.
      i += 1;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') {
        i += text[i] === '\\' ? 2 : 1;
      }
      i += 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const newline = text.indexOf('\n', i);
      const end = newline < 0 ? text.length : newline;
      if (c === '#') {
        out += text.slice(start, i) + ' '.repeat(end - i);
        start = end;
      }
      i = end;
    } else {
      i += 1;
    }
  }
  return out + text.slice(start);
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
