import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argLabels, checkGroupName, defaultGroupName, labelRoom, parseLabels, sanitizeLabel } from './labels.js';

describe('labels', () => {
  it('sanitises to lowercase letters, digits, _ and -, 63 characters', () => {
    assert.equal(sanitizeLabel('Team Vision/ÉTÉ'), 'team-vision-été');
    assert.equal(sanitizeLabel('x'.repeat(80)).length, 63);
    assert.equal(sanitizeLabel('lr_0.01'), 'lr_0-01');
  });

  it('parses key=value pairs and reports what it changed', () => {
    const { labels, warnings } = parseLabels(['team=vision', 'Owner=Ada Lovelace', 'draft=']);
    assert.deepEqual(labels, { team: 'vision', owner: 'ada-lovelace', draft: '' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /Owner=Ada Lovelace became owner=ada-lovelace/);
  });

  it('rejects malformed, reserved and letterless keys with a hint', () => {
    assert.throws(() => parseLabels(['novalue']), { code: 'cloud-spec-invalid', message: /not key=value/ });
    assert.throws(() => parseLabels(['=x']), { code: 'cloud-spec-invalid' });
    assert.throws(() => parseLabels(['1run=x']), { message: /start with a letter/ });
    assert.throws(() => parseLabels(['goog-x=1']), { message: /reserved/ });
    assert.throws(() => parseLabels(['ariel_group=mine']), { message: /reserved/ });
    assert.throws(() => parseLabels(Array.from({ length: 70 }, (_, i) => `k${i}=v`)), { message: /Too many labels/ });
  });

  it('checks group names, which become display names and a label value', () => {
    assert.equal(checkGroupName('lr-sweep_2'), 'lr-sweep_2');
    assert.throws(() => checkGroupName(''), { code: 'cloud-spec-invalid' });
    assert.throws(() => checkGroupName('LR sweep'), { code: 'cloud-spec-invalid', hint: /^Use e\.g\. lr-sweep\.$/ });
    assert.throws(() => checkGroupName('a'.repeat(130)), { code: 'cloud-spec-invalid' });
    assert.equal(defaultGroupName('My Project', new Date('2026-11-27T01:30:05Z')), 'my-project-20261127-013005');
  });
});

describe("labels from a job's arguments, as Caliban makes them", () => {
  it('turns flags with and without values into sanitised labels, skipping positional arguments', () => {
    const { labels, dropped } = argLabels(
      ['data/train.csv', '--lr', '0.01', '--Model=ResNet 50', '--deep', '--shift', '-3', '-v', '--', '--9x', '1'],
      60
    );
    assert.deepEqual(labels, { lr: '0-01', model: 'resnet-50', deep: '', shift: '-3', v: '' });
    assert.deepEqual(dropped, []);
  });

  it("leaves reserved keys out, and keeps within Vertex AI's 64 labels", () => {
    assert.deepEqual(argLabels(['--ariel_group', 'x', '--goog-a', '1', '--ok', '2'], 60).labels, { ok: '2' });
    const many = Array.from({ length: 70 }, (_, i) => [`--k${i}`, String(i)]).flat();
    const { labels, dropped } = argLabels(many, labelRoom(2));
    assert.equal(Object.keys(labels).length, 58);
    assert.equal(Object.keys(labels).length + 2 + 4, 64);
    assert.deepEqual(dropped, ['k58', 'k59', 'k60', 'k61', 'k62', 'k63', 'k64', 'k65', 'k66', 'k67', 'k68', 'k69']);
    assert.equal(argLabels(['--v', 'x'.repeat(100)], 1).labels.v.length, 63);
  });
});
