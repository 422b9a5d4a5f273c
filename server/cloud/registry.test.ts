import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  defaultRepository,
  describePush,
  imageByDigest,
  registryAuth,
  registryHost,
  remoteImage,
  type PushEvent
} from './registry.js';

describe('registry references and credentials', () => {
  it('names images in Artifact Registry or another repository, and by digest', () => {
    const repo = defaultRepository('my-proj', 'europe-west4');
    assert.equal(repo, 'europe-west4-docker.pkg.dev/my-proj/ariel');
    const remote = remoteImage('ariel/demo:cloud-cpu-0123456789ab', repo);
    assert.equal(remote, 'europe-west4-docker.pkg.dev/my-proj/ariel/demo:cloud-cpu-0123456789ab');
    assert.equal(registryHost(remote), 'europe-west4-docker.pkg.dev');
    assert.equal(remoteImage('ariel/demo:t', '127.0.0.1:5000/team/'), '127.0.0.1:5000/team/demo:t');
    assert.equal(imageByDigest('127.0.0.1:5000/team/demo:t', 'sha256:abc'), '127.0.0.1:5000/team/demo@sha256:abc');
  });

  it("reads other registries' credentials from Docker's configuration", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariel-docker-config-'));
    try {
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({
          auths: {
            'registry.example:5000': { auth: Buffer.from('ada:s3cr:et').toString('base64') },
            'https://other.example': { username: 'bob', password: 'pw' }
          }
        })
      );
      const env = { DOCKER_CONFIG: dir };
      assert.deepEqual(await registryAuth('registry.example:5000', env), {
        username: 'ada',
        password: 's3cr:et',
        serveraddress: 'registry.example:5000'
      });
      assert.deepEqual(await registryAuth('other.example', env), {
        username: 'bob',
        password: 'pw',
        serveraddress: 'other.example'
      });
      assert.equal(await registryAuth('127.0.0.1:5000', env), undefined);
      assert.equal(await registryAuth('127.0.0.1:5000', { DOCKER_CONFIG: join(dir, 'missing') }), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sums up a push from the latest event of each layer', () => {
    const layers = new Map<string, PushEvent>();
    const push = (layer: string, status: string, current?: number, total?: number) =>
      layers.set(layer, { type: 'push', layer, status, current, total });
    push('a', 'Waiting');
    push('b', 'Pushing', 1_000_000, 4_000_000);
    push('c', 'Layer already exists');
    push('d', 'Pushed');
    push('e', 'Mounted from team/other');
    assert.equal(describePush(layers), 'Pushing 5 layers: 3 done, 1 uploading (1.0 of 4.0 MB), 1 waiting');
  });
});
