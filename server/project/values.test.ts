import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskCredentials } from './values.js';

describe('maskCredentials', () => {
  it('masks the user and password of every URL in a text, valid URL or not', () => {
    for (const [text, masked] of [
      ['https://alice:T0KEN@mirror.example/simple', 'https://***@mirror.example/simple'],
      ['ftp://carol:S3CRETPW4@bad host/simple', 'ftp://***@bad host/simple'],
      ['https://T0KEN@mirror.example/simple', 'https://***@mirror.example/simple'],
      ['https://u:p@ss@h/simple', 'https://***@h/simple'],
      ['https://u:pa/ss@h/simple', 'https://***@h/simple'],
      ['https://a:X1@h/simple https://b:Y2@g/simple', 'https://***@h/simple https://***@g/simple'],
      ['"https://a:X1@h/simple"', '"https://***@h/simple"'],
      ['--index-url=https://a:X1@h/simple', '--index-url=https://***@h/simple'],
      ['carol:S3CRET@mirror.example/simple', '***@mirror.example/simple'],
      ['https://mirror.example/simple', 'https://mirror.example/simple'],
      ['torch==2.1 ; python_version>"3"', 'torch==2.1 ; python_version>"3"'],
      ['pkg @ https://h/pkg.tar.gz', 'pkg @ https://h/pkg.tar.gz']
    ]) {
      assert.equal(maskCredentials(text), masked, text);
    }
  });
});
