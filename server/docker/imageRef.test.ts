import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageRef } from './imageRef.js';

describe('ImageRef', () => {
  it("parses Ariel's tags into repository, mode, accelerator and hash", () => {
    const ref = ImageRef.parse('ariel/digits:notebook-gpu-0123456789ab');
    assert.ok(ref);
    assert.equal(ref.repository, 'ariel/digits');
    assert.equal(ref.mode, 'notebook');
    assert.equal(ref.accelerator, 'gpu');
    assert.equal(ref.hash, '0123456789ab');
    assert.equal(ref.name, 'ariel/digits:notebook-gpu-0123456789ab');
  });

  it('parses a repository behind a registry with a port', () => {
    const ref = ImageRef.parse('127.0.0.1:5000/ariel/digits:cloud-cpu-0123456789ab');
    assert.equal(ref?.repository, '127.0.0.1:5000/ariel/digits');
    assert.equal(ref?.mode, 'cloud');
  });

  it('rejects tags that are not content-hash tags of a known mode and accelerator', () => {
    for (const name of [
      'python:3.11-slim',
      'ariel/digits:latest',
      'ariel/digits',
      'ariel/digits:train-cpu-0123456789ab',
      'ariel/digits:run-tpu-0123456789ab',
      'ariel/digits:run-cpu-0123456789',
      'ariel/digits:run-cpu-0123456789abcd',
      'ariel/digits:run-cpu-0123456789AB',
      '127.0.0.1:5000/ariel'
    ]) {
      assert.equal(ImageRef.parse(name), undefined, name);
    }
  });

  it('is made from a full content hash, keeping 12 digits', () => {
    const ref = ImageRef.of('ariel/x', 'run', 'cpu', 'ab'.repeat(32));
    assert.equal(ref.name, 'ariel/x:run-cpu-abababababab');
    assert.deepEqual(ImageRef.parse(ref.name), ref);
    assert.throws(() => ImageRef.of('ariel/x', 'run', 'cpu', 'not-a-hash'));
  });

  it('serialises as the name the engine knows', () => {
    const ref = ImageRef.of('ariel/x', 'shell', 'cpu', '0'.repeat(64));
    assert.equal(JSON.stringify({ image: ref }), '{"image":"ariel/x:shell-cpu-000000000000"}');
    assert.equal(`${ref}`, 'ariel/x:shell-cpu-000000000000');
  });
});
