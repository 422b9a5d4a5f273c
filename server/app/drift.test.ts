import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendRequirements } from './drift.js';

describe('appendRequirements', () => {
  it('appends pinned lines after the last line, adding the missing line break', () => {
    assert.equal(appendRequirements('numpy', ['tqdm==4.66.4']), 'numpy\ntqdm==4.66.4\n');
    assert.equal(appendRequirements('', ['tqdm==4.66.4', 'einops==0.8.0']), 'tqdm==4.66.4\neinops==0.8.0\n');
  });

  it('writes nothing twice: a second add of the same kernel leaves the file as it is', () => {
    const once = appendRequirements('numpy\n', ['tqdm==4.66.4']);
    assert.equal(appendRequirements(once, ['tqdm==4.66.4']), once);
  });

  it('compares names as pip does, and adds a line at another version', () => {
    const text = 'Typing_Extensions==4.12.2\n';
    assert.equal(appendRequirements(text, ['typing-extensions==4.12.2']), text);
    assert.equal(
      appendRequirements(text, ['typing-extensions==4.13.0']),
      'Typing_Extensions==4.12.2\ntyping-extensions==4.13.0\n'
    );
  });
});
