import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { linkOutOf, readTextFile } from './read.js';

describe('readTextFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-read-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The message of the ArielError that reading `path` throws. */
  function failure(path: string, maxBytes?: number): string {
    try {
      readTextFile(path, maxBytes);
    } catch (error) {
      assert.ok(error instanceof ArielError, String(error));
      assert.equal(error.code, 'file-unreadable');
      assert.ok(error.message.includes(path), error.message);
      return error.message;
    }
    assert.fail(`reading ${path} succeeded`);
  }

  it('reads UTF-8 text and drops a byte-order mark', () => {
    writeFileSync(join(dir, 'ok.txt'), '\uFEFFnumpy  # é\n');
    assert.equal(readTextFile(join(dir, 'ok.txt')), 'numpy  # é\n');
  });

  it('names what is wrong with a file it cannot read', () => {
    assert.match(failure(join(dir, 'missing.txt')), /does not exist/);
    mkdirSync(join(dir, 'folder.txt'));
    assert.match(failure(join(dir, 'folder.txt')), /is a folder/);
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.txt'));
    assert.match(failure(join(dir, 'dangling.txt')), /symbolic link to .*nowhere, which does not exist/);
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    assert.match(failure(join(dir, 'latin1.txt')), /not valid UTF-8/);
    writeFileSync(join(dir, 'big.txt'), 'x'.repeat(100));
    assert.match(failure(join(dir, 'big.txt'), 10), /100 bytes; Ariel reads at most 10 bytes/);
  });
});

describe('linkOutOf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-links-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const project = join(dir, 'project');
  const outside = join(dir, 'outside');
  mkdirSync(join(project, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'x\n');
  writeFileSync(join(project, 'sub', 'inside.txt'), 'x\n');
  symlinkSync(join(outside, 'secret.txt'), join(project, 'out.txt'));
  symlinkSync(join(outside, 'missing.txt'), join(project, 'gone.txt'));
  symlinkSync('../outside/missing.txt', join(project, 'gone-relative.txt'));
  symlinkSync(outside, join(project, 'outdir'));
  symlinkSync('sub/inside.txt', join(project, 'in.txt'));
  symlinkSync('sub/nothing.txt', join(project, 'dangling-in.txt'));

  it('names the link that leads out of the project, whether its target exists or not', () => {
    for (const [path, link] of [
      ['out.txt', 'out.txt'],
      ['gone.txt', 'gone.txt'],
      ['gone-relative.txt', 'gone-relative.txt'],
      ['outdir/secret.txt', 'outdir'],
      ['outdir/missing.txt', 'outdir'],
      ['in.txt', undefined],
      ['dangling-in.txt', undefined],
      ['sub/inside.txt', undefined],
      ['nothing.txt', undefined]
    ] as const) {
      assert.equal(linkOutOf(project, join(project, path)), link && join(project, link), path);
    }
  });
});
