import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { describe, it } from 'node:test';
import { isInside } from './paths.js';

describe('isInside', () => {
  const cases: [root: string, path: string, inside: boolean][] = [
    ['/p', '/p', true],
    ['/p', '/p/a/b', true],
    ['/p', '/p/..data', true],
    ['/p', '/p/a/../b', true],
    ['/p', '/', false],
    ['/p', '/q', false],
    ['/p', '/p/../q', false],
    ['/p', '/pq', false]
  ];
  for (const [root, path, inside] of cases) {
    it(`${path} is ${inside ? '' : 'not '}inside ${root}`, () => {
      assert.equal(isInside(root, path), inside);
      assert.equal(isInside(root, path, posix), inside);
    });
  }
});
