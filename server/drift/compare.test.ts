import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareDistributions, compareVersions, isEmptyDrift } from './compare.js';
import { formatFreeze, parseFreeze, readTar } from './record.js';

describe('drift from an image record', () => {
  it('reads freeze lines by normalised name, skipping comments and options', () => {
    const text = '# written by ariel lock\n--index-url x\nPyYAML==6.0.1\nnumpy == 1.26.4\n\ntorch===2.13.0+cpu\n';
    assert.deepEqual(parseFreeze(text), [
      { name: 'numpy', version: '1.26.4' },
      { name: 'PyYAML', version: '6.0.1' },
      { name: 'torch', version: '2.13.0+cpu' }
    ]);
    assert.equal(formatFreeze(parseFreeze(text)), 'numpy==1.26.4\nPyYAML==6.0.1\ntorch==2.13.0+cpu\n');
  });

  it('tells added, removed, upgraded and downgraded packages apart', () => {
    const recorded = parseFreeze('six==1.16.0\ntoolz==0.12.0\nnumpy==1.26.4\npy_yaml==6.0\n');
    const installed = parseFreeze('six==1.17.0\nnumpy==1.25.2\nPy-YAML==6.0\ntqdm==4.66.4\neinops==0.8.0\n');
    const drift = compareDistributions(recorded, installed);
    assert.deepEqual(drift.added, [
      { name: 'einops', version: '0.8.0' },
      { name: 'tqdm', version: '4.66.4' }
    ]);
    assert.deepEqual(drift.removed, [{ name: 'toolz', version: '0.12.0' }]);
    assert.deepEqual(drift.changed, [
      { name: 'numpy', version: '1.25.2', recorded: '1.26.4', direction: 'downgraded' },
      { name: 'six', version: '1.17.0', recorded: '1.16.0', direction: 'upgraded' }
    ]);
    assert.ok(isEmptyDrift(compareDistributions(recorded, recorded)));
  });

  it('orders versions by their numbers, a release after its pre-releases', () => {
    const table: [string, string, number][] = [
      ['1.10.0', '1.9.2', 1],
      ['2.0', '2.0.0', 0],
      ['2.0', '2.0rc1', 1],
      ['2.0.dev1', '2.0', -1],
      ['0.8.0', '0.12.0', -1],
      ['2.13.0+cpu', '2.12.1', 1]
    ];
    for (const [a, b, expected] of table) {
      assert.equal(compareVersions(a, b), expected, `${a} vs ${b}`);
      assert.equal(compareVersions(b, a), 0 - expected, `${b} vs ${a}`);
    }
  });

  it("reads the files of an engine's tar archive of the record folder", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariel-record-'));
    try {
      mkdirSync(join(dir, 'ariel'));
      const dockerfile = `FROM x\n${'RUN true\n'.repeat(200)}`;
      writeFileSync(join(dir, 'ariel', 'packages.txt'), 'six==1.16.0\n');
      writeFileSync(join(dir, 'ariel', 'Dockerfile'), dockerfile);
      const tar = execFileSync('tar', ['-c', '-C', dir, 'ariel']);
      const files = readTar(tar);
      assert.equal(files.get('packages.txt'), 'six==1.16.0\n');
      assert.equal(files.get('Dockerfile'), dockerfile);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
