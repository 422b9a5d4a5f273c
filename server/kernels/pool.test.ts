import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { ImageRef } from '../docker/imageRef.js';
import { findProject } from '../project/project.js';
import { currentLauncher } from './container.js';
import { KernelPool, poolLimits, type SpareSpec } from './pool.js';

/** An engine that records the containers made and what was written to their stdin. */
class FakeEngine {
  readonly created: { id: string; create: Docker.ContainerCreateOptions; stdin: string; removed: boolean }[] = [];
  readonly modem = { demuxStream: () => undefined };

  /** While set, container creation waits for it: an engine slow to answer. */
  slow?: Promise<void>;

  async createContainer(create: Docker.ContainerCreateOptions) {
    await this.slow;
    const record = { id: `c${this.created.length}`, create, stdin: '', removed: false };
    this.created.push(record);
    const stream = new PassThrough();
    stream.on('data', chunk => (record.stdin += String(chunk)));
    return {
      id: record.id,
      attach: async () => stream,
      wait: () => new Promise(() => undefined),
      start: async () => undefined,
      rename: async () => undefined,
      kill: async () => undefined,
      remove: async () => {
        record.removed = true;
      }
    };
  }
}

const settle = () => new Promise(resolve => setImmediate(resolve));

describe('the warm pool', () => {
  const root = mkdtempSync(join(tmpdir(), 'ariel-pool-unit-'));
  writeFileSync(join(root, '.ariel.json'), JSON.stringify({ env: ['TOKEN'] }));
  const connectionFile = join(root, 'kernel-1234.json');
  writeFileSync(connectionFile, JSON.stringify({ ip: '127.0.0.1', shell_port: 1 }));
  after(() => rmSync(root, { recursive: true, force: true }));

  const spec = (hash: string, token: string): SpareSpec => ({
    project: findProject(root),
    image: ImageRef.of('ariel/pool', 'notebook', 'cpu', hash.repeat(12)),
    launcher: currentLauncher({}),
    env: { TOKEN: token }
  });
  const newPool = (engine: FakeEngine) =>
    new KernelPool(
      engine as unknown as Docker,
      { perImage: 1, images: 3 },
      new Writable({ write: (_, __, cb) => cb() })
    );

  it('hands a spare only to a start made alike, and sends it the connection info and folder', async () => {
    const engine = new FakeEngine();
    const pool = newPool(engine);
    pool.fill(spec('a', 'one'));
    await settle();
    assert.equal(pool.spareIds().length, 1);
    assert.equal(await pool.take(spec('a', 'two'), connectionFile, root), undefined, 'other env values');
    assert.equal(await pool.take(spec('b', 'one'), connectionFile, root), undefined, 'another image');
    const kernel = await pool.take(spec('a', 'one'), connectionFile, root);
    assert.ok(kernel);
    const request = JSON.parse(engine.created[0].stdin) as { name: string; cwd: string; connection: unknown };
    assert.deepEqual(request, { name: 'kernel-1234.json', cwd: root, connection: { ip: '127.0.0.1', shell_port: 1 } });
    assert.deepEqual(pool.spareIds(), []);
    await pool.close();
  });

  it('hands a spare only to a start with the same run-time settings', async () => {
    const engine = new FakeEngine();
    const pool = newPool(engine);
    pool.fill(spec('a', 'one'));
    await settle();
    writeFileSync(join(root, '.ariel.json'), JSON.stringify({ env: ['TOKEN'], run: { shm_size: '2g' } }));
    try {
      assert.equal(await pool.take(spec('a', 'one'), connectionFile, root), undefined, 'other shared memory');
      writeFileSync(
        join(root, '.ariel.json'),
        JSON.stringify({ env: ['TOKEN'], run: { mounts: [{ source: root, target: '/data' }] } })
      );
      assert.equal(await pool.take(spec('a', 'one'), connectionFile, root), undefined, 'a mount more');
    } finally {
      writeFileSync(join(root, '.ariel.json'), JSON.stringify({ env: ['TOKEN'] }));
    }
    assert.ok(await pool.take(spec('a', 'one'), connectionFile, root), 'the same settings again');
    await pool.close();
  });

  it("drops an image's spare when the same project's image changes, and all of them on close", async () => {
    const engine = new FakeEngine();
    const pool = newPool(engine);
    pool.fill(spec('a', 'one'));
    await settle();
    pool.fill(spec('b', 'one'));
    await settle();
    assert.deepEqual(
      engine.created.map(c => c.removed),
      [true, false]
    );
    await pool.close();
    assert.ok(engine.created.every(c => c.removed));
    pool.fill(spec('c', 'one'));
    await settle();
    assert.equal(engine.created.length, 2, 'a closed pool starts nothing');
  });

  it('removes, before close resolves, a spare whose creation was still under way', async () => {
    const engine = new FakeEngine();
    let answer = () => undefined as void;
    engine.slow = new Promise(resolve => (answer = resolve));
    const pool = newPool(engine);
    pool.fill(spec('a', 'one'));
    const closed = pool.close();
    await settle();
    assert.equal(engine.created.length, 0, 'the engine has not answered yet');
    answer();
    await closed;
    assert.equal(engine.created.length, 1);
    assert.ok(engine.created[0].removed, 'created after close began, removed before it ended');
  });

  it('keeps spares for at most its limit of images: the least recently used project loses them', async () => {
    const engine = new FakeEngine();
    const pool = newPool(engine);
    // One more project than the limit (3), each with its own image.
    const projects = ['p1', 'p2', 'p3', 'p4'].map(name => {
      const folder = join(root, name);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, '.ariel.json'), '{}');
      return {
        name,
        spec: {
          project: findProject(folder),
          image: ImageRef.of(`ariel/${name}`, 'notebook', 'cpu', 'a'.repeat(12)),
          launcher: currentLauncher({})
        } satisfies SpareSpec
      };
    });
    const byProject = () =>
      Object.fromEntries(
        projects.map(({ name, spec }) => [
          name,
          engine.created.filter(c => !c.removed && c.create.Image === spec.image.name).length
        ])
      );
    const [p1, p2, p3, p4] = projects.map(p => p.spec);
    for (const spec of [p1, p2, p3]) {
      pool.fill(spec);
      await settle();
    }
    assert.deepEqual(byProject(), { p1: 1, p2: 1, p3: 1, p4: 0 });
    // A kernel of p1 starts (and fills again): p2 is now the least recently used.
    assert.ok(await pool.take(p1, connectionFile, root));
    pool.fill(p1);
    await settle();
    pool.fill(p4);
    await settle();
    assert.deepEqual(byProject(), { p1: 2, p2: 0, p3: 1, p4: 1 }, "p1's kernel and new spare, p2's spare gone");
    assert.equal(pool.spareIds().length, 3);
    await pool.close();
  });

  it('reads its limits from the environment', () => {
    assert.deepEqual(poolLimits({}), { perImage: 1, images: 3 });
    assert.deepEqual(poolLimits({ ARIEL_KERNEL_POOL: '0', ARIEL_KERNEL_POOL_IMAGES: '5' }), { perImage: 0, images: 5 });
    assert.deepEqual(poolLimits({ ARIEL_KERNEL_POOL: 'many' }), { perImage: 1, images: 3 });
  });
});
