import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BuildService } from '../docker/build.js';
import { collectContext } from '../docker/context.js';
import { connectDocker } from '../docker/engine.js';
import type { ImagePlan } from '../dockerfile/plan.js';
import { containersOf, removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { freePort } from '../testing/jupyter.js';
import { BuildRegistry } from './builds.js';
import { KernelRegistry } from './kernels.js';

// The companion server's kernel starts, in process with the real engine: each start reads and
// hashes the project's dependency files once, whether the image exists, is built, or comes with
// a spare from the pool; and an edit of those files still gives a new image.

describe("the companion's kernel starts", { timeout: 900_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'ariel-hash-once-'));
  const files = mkdtempSync(join(tmpdir(), 'ariel-hash-once-connections-'));
  writeFileSync(join(root, 'requirements.txt'), 'six\n');
  const docker = connectDocker();
  let hashes = 0;
  const counting = (plan: ImagePlan) => {
    hashes++;
    return collectContext(plan);
  };
  const env = Object.fromEntries(
    Object.entries({ ...process.env, ARIEL_KERNEL_POOL: '1' }).filter(([, value]) => value !== undefined)
  ) as Record<string, string>;
  const app = { docker, builds: new BuildService(docker, counting), env };
  const kernels = new KernelRegistry({ app, root, runtimeDir: files, builds: new BuildRegistry({ logLines: 100 }) });

  after(async () => {
    await kernels.close();
    await eventually(() => containersOf('kernel', root).length === 0, 'the kernel containers to be removed');
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  /** Starts a kernel as the provisioner asks for one; returns its id, image and how many hashes it took. */
  async function start(): Promise<{ id: string; image: string; hashes: number }> {
    const connectionFile = join(files, `kernel-${randomUUID()}.json`);
    const ports = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'];
    const connection = { ip: '127.0.0.1', transport: 'tcp', key: randomUUID(), signature_scheme: 'hmac-sha256' };
    for (const port of ports) {
      Object.assign(connection, { [port]: await freePort() });
    }
    writeFileSync(connectionFile, JSON.stringify(connection));
    const before = hashes;
    const kernel = await kernels.start({ accelerator: 'cpu', path: '', connectionFile, env });
    return { ...kernel, hashes: hashes - before };
  }

  it('hashes the project once per start, built, reused or from a spare; an edit still rebuilds', async () => {
    const first = await start();
    assert.equal(first.hashes, 1, 'the first start (which builds)');
    await eventually(() => kernels.pool.spareIds().length === 1, 'a spare for the next start');
    const second = await start();
    assert.equal(second.hashes, 1, 'the start served by the spare');
    assert.equal(second.image, first.image);

    writeFileSync(join(root, 'requirements.txt'), 'six\n# pinned later\n');
    const third = await start();
    assert.equal(third.hashes, 1, 'the start after a dependency edit');
    assert.notEqual(third.image, first.image, 'a dependency edit gives a new image');
    for (const kernel of [first, second, third]) {
      assert.equal(kernels.state(kernel.id).exitCode, null, `kernel ${kernel.id} runs`);
      await kernels.remove(kernel.id);
    }
  });
});
