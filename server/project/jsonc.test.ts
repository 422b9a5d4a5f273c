import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { JsonNumber, MAX_JSON_DEPTH, parseJsoncWithWarnings, parseJsoncExact } from './jsonc.js';

function assertInvalid(parse: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof ArielError, `expected an ArielError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parseJsoncWithWarnings', () => {
  it('reads comments and trailing commas, and names the line and column of a syntax error', () => {
    assert.deepEqual(parseJsoncWithWarnings('{\n  // note\n  "a": [1, 2,], /* x */\n}', 'c.json'), {
      value: { a: [1, 2] },
      warnings: []
    });
    assertInvalid(
      () => parseJsoncWithWarnings('{\n  "a": 1\n  "b": 2\n}', 'c.json'),
      'config-invalid',
      /^c\.json:3:3: invalid JSON/
    );
    assertInvalid(() => parseJsoncWithWarnings('', 'c.json'), 'config-invalid', /^c\.json:1:1: invalid JSON/);
  });

  it('takes # as a comment only when asked, and never inside a string', () => {
    assertInvalid(() => parseJsoncWithWarnings('{"a": 1} # no', 'c.json'), 'config-invalid', /c\.json:1:10/);
    const text = '# top\n{"a": "x#y", # after\n "b": "q\\"#", // c\n "c": 1 /* # */}';
    assert.deepEqual(parseJsoncWithWarnings(text, 'e.json', { hashComments: true }).value, {
      a: 'x#y',
      b: 'q"#',
      c: 1
    });
    // Positions after a # comment stay true.
    assertInvalid(
      () =>
        parseJsoncWithWarnings('# one\n{"a": 1,,}', 'e.json', {
          hashComments: true,
          code: 'experiment-config-invalid'
        }),
      'experiment-config-invalid',
      /^e\.json:2:9:/
    );
  });

  it('warns about a duplicate key, naming both lines; the last value is kept', () => {
    const { value, warnings } = parseJsoncWithWarnings(
      '{\n  "a": 1,\n  "b": {"x": 1,\n "x": 2},\n  "a": 3\n}',
      'c.json'
    );
    assert.deepEqual(value, { a: 3, b: { x: 2 } });
    assert.deepEqual(warnings, [
      'c.json:4: duplicate key "x" (also on line 3); the last value is used.',
      'c.json:5: duplicate key "a" (also on line 2); the last value is used.'
    ]);
  });

  it('names at most 20 duplicates one by one, then counts the rest', () => {
    const text = `{${Array.from({ length: 25 }, (_, i) => `\n"k": ${i}`).join(',')}}`;
    const { value, warnings } = parseJsoncWithWarnings(text, 'c.json');
    assert.deepEqual(value, { k: 24 });
    assert.equal(warnings.length, 21);
    assert.equal(warnings[0], 'c.json:3: duplicate key "k" (also on line 2); the last value is used.');
    assert.equal(warnings[20], 'c.json: 4 more duplicate keys.');
  });

  it('makes "__proto__" an ordinary key, as JSON.parse does', () => {
    const value = parseJsoncWithWarnings('{"__proto__": {"polluted": true}}', 'c.json').value as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal((value as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(value, JSON.parse('{"__proto__": {"polluted": true}}'));
  });

  it('refuses nesting deeper than the limit, without overflowing the stack', () => {
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    assert.ok(Array.isArray(parseJsoncWithWarnings(ok, 'c.json').value));
    for (const deep of ['['.repeat(1_000_000), '{"a":'.repeat(200_000)]) {
      assertInvalid(
        () => parseJsoncWithWarnings(deep, 'c.json'),
        'config-invalid',
        new RegExp(
          `^c\\.json:1:${MAX_JSON_DEPTH + 1}:|^c\\.json:1:\\d+: objects and lists are nested deeper than ${MAX_JSON_DEPTH} levels`
        )
      );
    }
    // A caller may set a lower limit, never a higher one.
    assertInvalid(
      () => parseJsoncWithWarnings('[[[1]]]', 'c.json', { maxDepth: 2 }),
      'config-invalid',
      /1:3: .* deeper than 2 levels/
    );
    assertInvalid(
      () => parseJsoncWithWarnings('['.repeat(MAX_JSON_DEPTH + 1), 'c.json', { maxDepth: 10_000 }),
      'config-invalid',
      new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`)
    );
    // Brackets in strings and comments do not count.
    assert.deepEqual(
      parseJsoncWithWarnings(`// ${'['.repeat(100)}\n"${'{'.repeat(100)}"`, 'c.json').value,
      '{'.repeat(100)
    );
  });
});

describe('parseJsoncExact', () => {
  it('keeps numbers as written and keys in their order, integer-like keys included', () => {
    const { value } = parseJsoncExact('{"b": 1.0, "2": 12345678901234567890, "a": [1e3, -0]}', 'e.json');
    assert.ok(value instanceof Map);
    assert.deepEqual([...value.keys()], ['b', '2', 'a']);
    assert.deepEqual(value.get('b'), new JsonNumber('1.0'));
    assert.equal((value.get('2') as JsonNumber).text, '12345678901234567890');
    assert.deepEqual(value.get('a'), [new JsonNumber('1e3'), new JsonNumber('-0')]);
    assert.equal(new JsonNumber('-0').isInteger, true);
    assert.equal(new JsonNumber('1e3').isInteger, false);
  });

  it('keeps a repeated key at its first place with its last value, and warns', () => {
    const { value, warnings } = parseJsoncExact('{"a": 1,\n"b": 2,\n"a": 3}', 'e.json');
    assert.deepEqual(
      [...(value as Map<string, unknown>)],
      [
        ['a', new JsonNumber('3')],
        ['b', new JsonNumber('2')]
      ]
    );
    assert.deepEqual(warnings, ['e.json:3: duplicate key "a" (also on line 1); the last value is used.']);
  });
});
