import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { confinement, runToCompletion } from './containers.js';

/** An engine whose containers exit at once with code 0; it records their create options. */
function fakeEngine(): { docker: Docker; created: Docker.ContainerCreateOptions[] } {
  const created: Docker.ContainerCreateOptions[] = [];
  const docker = {
    modem: { demuxStream: () => undefined },
    createContainer: async (options: Docker.ContainerCreateOptions) => {
      created.push(options);
      const stream = new PassThrough();
      return {
        attach: async () => stream,
        start: async () => void stream.destroy(),
        wait: async () => ({ StatusCode: 0 }),
        remove: async () => undefined
      };
    }
  } as unknown as Docker;
  return { docker, created };
}

describe('containers Ariel runs to completion', () => {
  it('are confined unless their create options say otherwise', async () => {
    const { docker, created } = fakeEngine();
    const io = { stdout: new PassThrough(), stderr: new PassThrough() };
    // A package listing, say: its caller sets no HostConfig at all.
    assert.equal(await runToCompletion(docker, { Image: 'x', Cmd: ['pip', 'list'] }, io), 0);
    assert.deepEqual(created[0].HostConfig, {
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 4096
    });
    await runToCompletion(docker, { Image: 'x', HostConfig: { ...confinement(10), Init: true } }, io);
    assert.deepEqual(created[1].HostConfig, { ...confinement(10), Init: true });
  });
});
