import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  containerExists,
  containersOf,
  kernelContainers,
  labelOf,
  removeImagesOf,
  spareKernels
} from '../testing/docker.js';
import { runCli } from '../testing/cli.js';
import { eventually } from '../testing/eventually.js';
import { installArielKernels, interruptSleep, JupyterServer, type KernelClient } from '../testing/jupyter.js';
import { killCompanion } from './testing/companion.js';
import { containerOfKernel as findContainerOfKernel } from './testing/containers.js';
import { withoutServerExtension } from './testing/extension.js';

// Kernel containers live no longer than the Jupyter Server that started them. Each test's
// project folder is its run id: only containers labelled with it are counted.
// With Ariel's server extension, the companion server starts the kernels and is their
// containers' owner ("launcher" in the labels); without it, the kernelspecs' launcher is.

const prefix = mkdtempSync(join(tmpdir(), 'ariel-kernelspecs-'));
const kernelPath = installArielKernels(prefix);
const root = mkdtempSync(join(tmpdir(), 'ariel-lifetime-'));
const servers: JupyterServer[] = [];
const clients: KernelClient[] = [];

before(async () => {
  writeFileSync(join(root, 'requirements.txt'), 'six\n');
  // Built up front: a first kernel start that builds can outlast fetch's 5-minute wait for
  // Jupyter's answer on a loaded machine, and these tests are about lifetimes, not builds.
  const build = await runCli(['build', '--mode', 'notebook'], { cwd: root });
  assert.equal(build.code, 0, build.stderr);
});

after(async () => {
  clients.forEach(client => client.close());
  await Promise.all(servers.map(server => server.stop()));
  removeImagesOf(root);
  rmSync(root, { recursive: true, force: true });
  rmSync(prefix, { recursive: true, force: true });
});

/** How kernels start: through the companion server (the extension is on) or a launcher each. */
type Path = 'companion' | 'launcher';
const PATHS: Path[] = ['companion', 'launcher'];

/**
 * Stops a server and waits until no kernel container of the project is left, spares included.
 * (Every test that starts a server ends this way, so that the next test's count is its own.)
 */
async function stopAndSweep(server: JupyterServer): Promise<void> {
  await server.stop();
  await gone(server, containersOf('kernel', root), 'the spare to be removed with Jupyter');
}

async function startServer(options: { terminal?: boolean } = {}, path: Path = 'companion'): Promise<JupyterServer> {
  const env = { JUPYTER_PATH: kernelPath, ...(path === 'launcher' ? withoutServerExtension() : {}) };
  const server = new JupyterServer(root, env, options);
  servers.push(server);
  await server.start();
  return server;
}

const containerOfKernel = (id: string) => findContainerOfKernel(root, id);

/** Starts an ariel-cpu kernel and waits until it runs code; returns its id and container. */
async function startKernel(server: JupyterServer): Promise<{ id: string; container: string; client: KernelClient }> {
  const { status, body } = await server.request<{ id: string }>('POST', '/api/kernels', { name: 'ariel-cpu' });
  assert.equal(status, 201, `${JSON.stringify(body)}\n${server.log.slice(-4000)}`);
  const client = await server.connect(body.id);
  clients.push(client);
  await client.ready(300_000);
  assert.equal((await client.execute('print(6 * 7)')).stdout.trim(), '42');
  const container = containerOfKernel(body.id);
  assert.ok(container, 'the kernel has no running container');
  assert.equal(labelOf(container, 'org.ariel.server.pid'), String(server.pid));
  return { id: body.id, container, client };
}

/** The process that started a kernel's container: its companion server, or its launcher. */
function ownerOf(container: string): number {
  const companion = labelOf(container, 'org.ariel.companion.pid');
  return Number(/^\d+$/.test(companion) ? companion : labelOf(container, 'org.ariel.launcher.pid'));
}

/** How many processes own the kernels' containers: one companion server, or a launcher each. */
function launchers(server: JupyterServer, kernels: { container: string }[]): number {
  const owners = new Set(kernels.map(kernel => ownerOf(kernel.container)));
  assert.ok(!owners.has(server.pid), 'a kernel container was started by Jupyter Server itself');
  return owners.size;
}

/** Waits for the condition, naming what is left (name, state, owner) and the server's log on failure. */
async function gone(server: JupyterServer, containers: string[], what: string, timeoutMs?: number): Promise<void> {
  try {
    await eventually(() => containers.every(id => !containerExists(id)), what, timeoutMs);
  } catch (error) {
    const left = containers
      .filter(containerExists)
      .map(id => execFileSync('docker', ['inspect', '--format', INSPECT_LEFT, id], { encoding: 'utf8' }).trim());
    throw new Error(
      `${(error as Error).message}; left: ${left.join('; ')}\n--- Jupyter Server log ---\n${server.log.slice(-6000)}`
    );
  }
}

const INSPECT_LEFT =
  '{{.Name}} {{.State.Status}} created {{.Created}} owner {{index .Config.Labels "org.ariel.launcher.pid"}} companion {{index .Config.Labels "org.ariel.companion.pid"}}';

describe('no kernel container outlives Jupyter Server', { timeout: 1_200_000 }, () => {
  const ways: [string, { terminal?: boolean }, (server: JupyterServer) => Promise<void>][] = [
    [
      'Ctrl-C, confirmed with y',
      { terminal: true },
      async server => {
        server.pressCtrlC();
        await eventually(() => /Shut down this Jupyter server/.test(server.log), 'the confirmation prompt');
        server.type('y');
      }
    ],
    [
      'Ctrl-C twice',
      { terminal: true },
      async server => {
        server.pressCtrlC();
        await eventually(() => /interrupted/.test(server.log), 'the first Ctrl-C to be seen');
        server.pressCtrlC();
      }
    ],
    ['SIGTERM', {}, async server => void process.kill(server.pid, 'SIGTERM')],
    ['SIGKILL', {}, async server => void process.kill(server.pid, 'SIGKILL')],
    [
      'the /api/shutdown request',
      {},
      async server => assert.equal((await server.request('POST', '/api/shutdown')).status, 200)
    ]
  ];

  for (const [way, options, stop] of ways) {
    for (const path of PATHS) {
      it(`after ${way}, kernels started by the ${path}`, async () => {
        const server = await startServer(options, path);
        const kernels = [await startKernel(server), await startKernel(server)];
        assert.equal(launchers(server, kernels), path === 'companion' ? 1 : 2);
        // The companion's warm pool holds a spare (the only server alive here): it goes too.
        const spares =
          path === 'companion'
            ? await eventually(() => spareKernels(root).length === 1 && spareKernels(root), 'a spare')
            : [];
        await stop(server);
        await server.exited();
        await gone(
          server,
          [...kernels.map(kernel => kernel.container), ...spares],
          'the kernel containers to be removed'
        );
      });
    }
  }

  for (const path of PATHS) {
    it(`when everything was killed at once, the next kernel start removes what was left, and only that (kernels of the ${path})`, async () => {
      const survivor = await startServer({}, path);
      const kept = await startKernel(survivor);
      const victim = await startServer({}, path);
      const orphan = await startKernel(victim);
      const launcher = ownerOf(orphan.container);
      // Launcher and server die together: nothing is left to clean up.
      process.kill(launcher, 'SIGKILL');
      process.kill(victim.pid, 'SIGKILL');
      await victim.exited();
      await eventually(() => {
        try {
          process.kill(launcher, 0);
          return false;
        } catch {
          return true;
        }
      }, 'the launcher to exit');

      // A kernel start removes orphans before it starts its own container: no waiting needed.
      // (A kernel or companion start of someone else sharing this engine may remove it first.)
      const next = await startKernel(survivor);
      assert.ok(!containerExists(orphan.container), 'the orphan outlived the next kernel start');
      // The live server's kernels are untouched, and still run code.
      assert.ok(containerExists(kept.container));
      assert.equal((await kept.client.execute('print(1 + 1)')).stdout.trim(), '2');
      for (const kernel of [kept, next]) {
        assert.equal((await survivor.request('DELETE', `/api/kernels/${kernel.id}`)).status, 204);
      }
      await gone(survivor, [kept.container, next.container], 'the shut-down kernels to be removed');
      await stopAndSweep(survivor);
    });
  }
});

describe('a kernel whose companion server was killed', { timeout: 1_200_000 }, () => {
  it('runs on in its container, answers interrupts and restarts, and leaves no container when shut down', async () => {
    const server = await startServer();
    const { id, container, client } = await startKernel(server);
    let current = container;
    assert.equal((await client.execute('kept = 1')).status, 'ok');
    // Each kill finds the next companion (its back-off grows), which took the kernel over.
    for (let kill = 1; kill <= 3; kill++) {
      await killCompanion(server);
      assert.equal(containerOfKernel(id), current, `after kill ${kill}, the kernel left its container`);
      // Interrupted as the next companion took it over, once more after a restart asked for (from the pool).
      for (const step of ['taken over', 'restarted on request']) {
        if (step === 'restarted on request') {
          assert.equal((await server.request('POST', `/api/kernels/${id}/restart`)).status, 200);
        }
        await client.ready(300_000);
        if (step === 'taken over') {
          assert.equal((await client.execute('print(kept)')).stdout.trim(), '1', `after kill ${kill}`);
        }
        const ran = await interruptSleep(server, id, client).catch((error: Error) => {
          const state = kernelState(root, id);
          throw new Error(`after kill ${kill}, ${step}: ${error.message}; ${state}\n${server.log.slice(-8000)}`);
        });
        assert.equal(ran.error, 'KeyboardInterrupt');
      }
      assert.equal((await client.execute('kept = 1')).status, 'ok');
      current = containerOfKernel(id)!;
      assert.ok(current, `after kill ${kill}, the kernel has no running container`);
    }
    assert.equal((await server.request('DELETE', `/api/kernels/${id}`)).status, 204);
    await gone(server, kernelContainers(root), 'the kernel containers to be removed');
    assert.equal(kernelContainers(root).length, 0);
    await stopAndSweep(server);
  });
});

/** The project's kernel containers (name, state, owner) and which of them run kernel `id`, for a failure's message. */
function kernelState(root: string, id: string): string {
  const all = kernelContainers(root).map(c =>
    execFileSync('docker', ['inspect', '--format', INSPECT_LEFT, c], { encoding: 'utf8' }).trim()
  );
  return `containers: ${all.join('; ') || 'none'}; running kernel ${id}: ${containerOfKernel(id) ?? 'none'}`;
}

/** Full cycles by default (issue 9); fewer for a quick local run. */
// The full churn is 200 cycles with 20 kills (ARIEL_TEST_KERNEL_CYCLES=200, about 20 to 40
// minutes on 2 cores); the suite's default keeps the same ratio at a size CI can afford.
// Kernels start through the companion (with its warm pool), whose process is then the owner that
// is killed; ARIEL_TEST_KERNEL_CHURN_PATH=launcher churns the launchers instead.
const CYCLES = Number(process.env.ARIEL_TEST_KERNEL_CYCLES ?? 20);
const KILLS = Math.max(1, Math.round(CYCLES / 10));
const CHURN_PATH: Path = process.env.ARIEL_TEST_KERNEL_CHURN_PATH === 'launcher' ? 'launcher' : 'companion';

describe(
  `kernel churn through the ${CHURN_PATH}: ${CYCLES} cycles, ${KILLS} owners killed`,
  { timeout: 4 * 3_600_000 },
  () => {
    it('ends with no kernel container', async () => {
      const server = await startServer({}, CHURN_PATH);
      // Every (CYCLES / KILLS)-th cycle SIGKILLs its kernel's owner, at a different step each time.
      const every = Math.floor(CYCLES / KILLS);
      let killed = 0;
      let cycle = 0;
      let kernel = '';
      const killOwner = async (container: string, client: KernelClient) => {
        killed++;
        if (CHURN_PATH === 'companion') {
          // The kernel runs on; the next companion takes it over.
          await killCompanion(server);
          assert.ok(containerExists(container), 'the kernel container did not outlive its companion');
        } else {
          // The kernel's launcher dies, and the kernel with it: Jupyter restarts it, the new
          // launcher removes the old container.
          process.kill(Number(labelOf(container, 'org.ariel.launcher.pid')), 'SIGKILL');
          await gone(server, [container], "the killed owner's container to be removed", 120_000);
        }
        await client.ready(300_000);
      };
      try {
        for (; cycle < CYCLES; cycle++) {
          const phase = cycle % every === every - 1 && killed < KILLS ? killed % 3 : -1;
          const { id, container, client } = await startKernel(server);
          kernel = id;
          if (phase === 0) {
            await killOwner(container, client);
          }
          assert.equal((await interruptSleep(server, id, client)).error, 'KeyboardInterrupt');
          if (phase === 1) {
            await killOwner(containerOfKernel(id)!, client);
          }
          assert.equal((await server.request('POST', `/api/kernels/${id}/restart`)).status, 200);
          await client.ready(300_000);
          if (phase === 2) {
            await killOwner(containerOfKernel(id)!, client);
          }
          assert.equal((await server.request('DELETE', `/api/kernels/${id}`)).status, 204);
          client.close();
        }
      } catch (error) {
        throw new Error(
          `cycle ${cycle + 1} of ${CYCLES} (${killed} killed): ${(error as Error).message}; ${kernelState(root, kernel)}\n` +
            `--- Jupyter Server log ---\n${server.log.slice(-12000)}`
        );
      }
      assert.equal(killed, KILLS);
      await gone(server, kernelContainers(root), 'the last containers to be removed');
      assert.equal(kernelContainers(root).length, 0);
      // The companion keeps its spare while Jupyter runs; it goes with Jupyter, and nothing is left.
      await stopAndSweep(server);
      assert.equal(containersOf('kernel', root).length, 0);
    });
  }
);
