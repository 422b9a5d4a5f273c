import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installArielKernels, interruptSleep, JupyterServer, type KernelClient } from '../testing/jupyter.js';
import { eventually } from '../testing/eventually.js';
import { GpuEngine } from '../testing/gpuEngine.js';
import { DEFAULT_BASE_IMAGES } from '../dockerfile/plan.js';
import { containersOf, engineHasGpu, kernelContainers, removeImagesOf } from '../testing/docker.js';
import { listeningTcpPorts, processTree } from '../testing/ports.js';
import { withoutServerExtension } from './testing/extension.js';
import { kernelTestProject } from './testing/project.js';

/** The Unix socket of the companion server Jupyter started for `root` (from /proc; Linux). */
function companionSocket(root: string): string {
  for (const pid of readdirSync('/proc').filter(entry => /^\d+$/.test(entry))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended meanwhile
    }
    const at = (flag: string) => argv[argv.indexOf(flag) + 1];
    if (argv.some(arg => arg.endsWith('main.bundle.mjs')) && realpathSync(at('--root')) === realpathSync(root)) {
      return at('--socket');
    }
  }
  throw new Error(`no companion server runs for ${root}`);
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

describe('containerized kernels through a real Jupyter Server', () => {
  const { root, prefix, startServer } = kernelTestProject('ariel-kernel-project');
  let server: JupyterServer;
  const clients: KernelClient[] = [];

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    clients.forEach(client => client.close());
    await server?.stop();
    // Whatever happened above, the suite leaves no kernel container behind.
    await eventually(
      () => containersOf('kernel', root, join(root, 'ports-project')).length === 0,
      'kernel containers to be removed'
    );
    removeImagesOf(root, join(root, 'ports-project'), join(root, 'broken'));
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  });

  /** On failure, the end of Jupyter Server's log (with the launchers' stderr) says what the kernel did. */
  function withServerLog(body: () => Promise<void>): () => Promise<void> {
    return async () => {
      try {
        await body();
      } catch (error) {
        const log = server.log.split('\n').slice(-80).join('\n');
        throw Object.assign(error as Error, {
          message: `${(error as Error).message}\n--- Jupyter Server log ---\n${log}`
        });
      }
    };
  }

  async function startSession(kernel: string): Promise<{ kernelId: string; client: KernelClient }> {
    const { status, body } = await server.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
      path: 'notebooks/analysis.ipynb',
      name: 'analysis.ipynb',
      type: 'notebook',
      kernel: { name: kernel }
    });
    assert.equal(status, 201, JSON.stringify(body));
    const kernelId = body.kernel.id;
    const client = await server.connect(kernelId);
    clients.push(client);
    return { kernelId, client };
  }

  /** A session start that fails; resolves to the message JupyterLab shows in its "Error Starting Kernel" dialog. */
  async function failedStart(path: string, kernel: string): Promise<string> {
    const { status, body } = await server.request<{ message: string }>('POST', '/api/sessions', {
      path,
      name: path.split('/').at(-1),
      type: 'notebook',
      kernel: { name: kernel }
    });
    assert.equal(status, 500, JSON.stringify(body));
    return body.message;
  }

  it(
    'lists the CPU and GPU container kernels',
    withServerLog(async () => {
      const { body } = await server.request<{ kernelspecs: Record<string, { spec: { display_name: string } }> }>(
        'GET',
        '/api/kernelspecs'
      );
      assert.equal(body.kernelspecs['ariel-cpu']?.spec.display_name, 'Python 3 (CPU container)');
      assert.equal(body.kernelspecs['ariel-gpu']?.spec.display_name, 'Python 3 (GPU container)');
    })
  );

  it(
    'runs code in a container on the live-mounted project, and survives interrupt and restart',
    withServerLog(async () => {
      const { kernelId, client } = await startSession('ariel-cpu');
      await client.ready(300_000);

      const where = await client.execute(
        "import os; print(os.path.exists('/.dockerenv')); print(os.getcwd()); print(os.environ.get('ARIEL_TEST_SECRET'))"
      );
      assert.equal(where.status, 'ok', where.stderr);
      assert.deepEqual(where.stdout.trim().split('\n'), ['True', join(root, 'notebooks'), 'from-the-host']);

      // The project's own packages import from a notebook in a subfolder.
      writeFileSync(join(root, 'helpers.py'), 'ANSWER = 42\n');
      assert.equal((await client.execute('from helpers import ANSWER; print(ANSWER)')).stdout.trim(), '42');

      const written = await client.execute("open('from-kernel.txt', 'w').write('hello')");
      assert.equal(written.status, 'ok');
      const file = join(root, 'notebooks', 'from-kernel.txt');
      assert.equal(readFileSync(file, 'utf8'), 'hello');
      assert.equal(statSync(file).uid, process.getuid!());
      assert.equal(kernelContainers(root).length, 1);

      // Errors inside the container reach the client as they would from a local kernel.
      const failing = await client.execute('1 / 0');
      assert.equal(failing.error, 'ZeroDivisionError');

      // Interrupt: a long sleep stops with KeyboardInterrupt and the kernel lives on.
      await client.execute('x = 41');
      assert.equal((await interruptSleep(server, kernelId, client)).error, 'KeyboardInterrupt');
      assert.equal((await client.execute('print(x + 1)')).stdout.trim(), '42');

      // Restart: a fresh interpreter in a fresh container; the old container is gone.
      const before = kernelContainers(root);
      assert.equal((await server.request('POST', `/api/kernels/${kernelId}/restart`)).status, 200);
      await client.ready(120_000);
      assert.equal((await client.execute("print('x' in globals())")).stdout.trim(), 'False');
      await eventually(() => !kernelContainers(root).includes(before[0]), 'the pre-restart container to be removed');
      assert.equal(kernelContainers(root).length, 1);

      // Shutdown removes the container.
      assert.equal((await server.request('DELETE', `/api/kernels/${kernelId}`)).status, 204);
      await eventually(() => kernelContainers(root).length === 0, 'the container to be removed after shutdown');
    })
  );

  it(
    'cannot reach the companion from inside a kernel container: no loopback port answers, no socket is visible',
    withServerLog(async () => {
      const socket = companionSocket(root);
      const { kernelId, client } = await startSession('ariel-cpu');
      await client.ready(300_000);
      // The TCP ports this Jupyter Server and its processes (the companion among them) listen on.
      const tree = listeningTcpPorts(processTree(server.pid));
      assert.ok(tree.length > 0, 'Jupyter listens on a port');
      // As root on the host's network, each of them is asked as the companion used to be asked (on
      // its loopback port it answered 403 "lacks the companion server's secret"). Only this
      // server's: other Jupyter Servers on the machine are not this test's.
      const probe = await client.execute(
        [
          'import json, os, socket',
          'listening = set()',
          "for table in ('/proc/net/tcp', '/proc/net/tcp6'):",
          '    try:',
          '        lines = open(table).read().splitlines()[1:]',
          '    except OSError:',
          '        continue',
          '    for line in lines:',
          '        fields = line.split()',
          "        if fields[3] == '0A':",
          "            listening.add(int(fields[1].rsplit(':', 1)[1], 16))",
          'answered = []',
          `for port in ${JSON.stringify(tree)}:`,
          '    try:',
          "        with socket.create_connection(('127.0.0.1', port), timeout=2) as s:",
          "            s.sendall(b'GET /version HTTP/1.0\\r\\nX-Ariel-Secret: x\\r\\n\\r\\n')",
          "            data = b''",
          '            while len(data) < 65536:',
          '                chunk = s.recv(65536)',
          '                if not chunk:',
          '                    break',
          '                data += chunk',
          "        if b'companion server' in data:",
          '            answered.append(port)',
          '    except OSError:',
          '        pass',
          `path = ${JSON.stringify(socket)}`,
          "print(json.dumps({'uid': os.getuid(), 'seen': sorted(listening), 'answered': answered,",
          "                  'socket': os.path.exists(path), 'folder': os.path.exists(os.path.dirname(path))}))"
        ].join('\n')
      );
      assert.equal(probe.status, 'ok', probe.stderr);
      const seen = JSON.parse(probe.stdout) as {
        uid: number;
        seen: number[];
        answered: number[];
        socket: boolean;
        folder: boolean;
      };
      assert.equal(seen.uid, process.getuid!(), 'the kernel runs as the host user (root here)');
      assert.ok(
        tree.every(port => seen.seen.includes(port)),
        `the kernel is on the host's network: it sees ${tree.join(', ')} listening`
      );
      assert.deepEqual(seen.answered, [], 'ports that answered as the companion');
      assert.equal(seen.socket, false, `${socket} is visible in the container`);
      assert.equal(seen.folder, false, `the socket's folder is visible in the container`);
      assert.equal((await server.request('DELETE', `/api/kernels/${kernelId}`)).status, 204);
      await eventually(() => kernelContainers(root).length === 0, 'the container to be removed after shutdown');
    })
  );

  it(
    'publishes the kernel ports on loopback when the project asks for "ports" networking',
    withServerLog(async () => {
      const sub = join(root, 'ports-project');
      mkdirSync(sub);
      writeFileSync(join(sub, 'requirements.txt'), 'six\n');
      writeFileSync(join(sub, '.ariel.json'), JSON.stringify({ kernel: { network: 'ports' } }));
      const { status, body } = await server.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
        path: 'ports-project/ports.ipynb',
        name: 'ports.ipynb',
        type: 'notebook',
        kernel: { name: 'ariel-cpu' }
      });
      assert.equal(status, 201, JSON.stringify(body));
      const client = await server.connect(body.kernel.id);
      clients.push(client);
      await client.ready(300_000);
      const result = await client.execute('import os; print(os.getcwd())');
      assert.equal(result.stdout.trim(), sub);

      const [container] = kernelContainers(sub);
      const network = JSON.parse(docker('inspect', '--format', '{{json .HostConfig}}', container)) as {
        NetworkMode: string;
        PortBindings: Record<string, { HostIp: string }[]>;
      };
      assert.notEqual(network.NetworkMode, 'host');
      const bindings = Object.values(network.PortBindings).flat();
      assert.equal(bindings.length, 5);
      assert.ok(bindings.every(binding => binding.HostIp === '127.0.0.1'));
      await server.request('DELETE', `/api/kernels/${body.kernel.id}`);
      await eventually(() => kernelContainers(sub).length === 0, 'the container to be removed after shutdown');
    })
  );

  it(
    'fails a GPU kernel start on a GPU-less machine with the reason and the way on',
    { skip: engineHasGpu() && 'the engine has a GPU' },
    withServerLog(async () => {
      const message = await failedStart('notebooks/gpu.ipynb', 'ariel-gpu');
      assert.match(message, /No GPU is available to Docker on this machine/);
      assert.match(message, /Use the "Python 3 \(CPU container\)" kernel instead/);
      assert.equal(kernelContainers(root).length, 0);
      const { body: sessions } = await server.request<unknown[]>('GET', '/api/sessions');
      assert.equal(sessions.length, 0);
    })
  );

  it(
    'fails a kernel start whose image does not build, with the failing step',
    withServerLog(async () => {
      const broken = join(root, 'broken');
      mkdirSync(broken);
      writeFileSync(join(broken, 'requirements.txt'), 'ariel-no-such-package-zz\n');
      writeFileSync(join(broken, '.ariel.json'), '{}');
      const message = await failedStart('broken/nb.ipynb', 'ariel-cpu');
      assert.match(message, /Build of the notebook image failed at step \d+\/\d+/);
      // pip's own words, from the log's tail below the first line, reach the dialog too.
      assert.match(message, /ariel-no-such-package-zz/);
      assert.equal(kernelContainers(broken).length, 0);
    })
  );
});

for (const path of ['companion', 'launcher'] as const) {
  describe(`a container kernel without a Docker engine (started by the ${path})`, () => {
    const root = mkdtempSync(join(tmpdir(), 'ariel-kernel-noengine-'));
    const prefix = mkdtempSync(join(tmpdir(), 'ariel-kernelspecs-'));
    const server = new JupyterServer(root, {
      JUPYTER_PATH: installArielKernels(prefix),
      DOCKER_HOST: 'unix:///nonexistent.sock',
      ...(path === 'launcher' ? withoutServerExtension() : {})
    });

    before(async () => {
      await server.start();
      writeFileSync(join(root, 'requirements.txt'), 'six\n');
    });

    after(async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(prefix, { recursive: true, force: true });
    });

    /** The reason itself, not wrapped in "HTTP 500: ..." nor replaced by "Unhandled error". */
    function assertReason(status: number, body: { message: string }): void {
      assert.equal(status, 500, JSON.stringify(body));
      assert.match(body.message, /^Cannot reach the Docker engine at unix:\/\/\/nonexistent\.sock/);
      assert.match(body.message, /Start the Docker engine/);
    }

    it('fails to start with the reason and the way on', async () => {
      const { status, body } = await server.request<{ message: string }>('POST', '/api/sessions', {
        path: 'nb.ipynb',
        name: 'nb.ipynb',
        type: 'notebook',
        kernel: { name: 'ariel-cpu' }
      });
      assertReason(status, body);
    });

    it('says why through the kernels API too, which nbclient and other clients use', async () => {
      const { status, body } = await server.request<{ message: string }>('POST', '/api/kernels', { name: 'ariel-cpu' });
      assertReason(status, body);
      const { body: kernels } = await server.request<unknown[]>('GET', '/api/kernels');
      assert.deepEqual(kernels, []);
    });
  });
}

describe('GPU requests of container kernels', () => {
  const root = mkdtempSync(join(tmpdir(), 'ariel-kernel-gpu-'));
  const prefix = mkdtempSync(join(tmpdir(), 'ariel-kernelspecs-'));
  // The engine claims a GPU and records what containers ask for, then runs them on the CPU.
  const engine = new GpuEngine();
  let server: JupyterServer | undefined;

  after(async () => {
    await server?.stop();
    engine.close();
    await eventually(() => containersOf('kernel', root).length === 0, 'kernel containers to be removed');
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  });

  it('gives the GPU kernel all GPUs and the CPU kernel none', async () => {
    await engine.listen();
    writeFileSync(join(root, 'requirements.txt'), 'six\n');
    const jupyter = new JupyterServer(root, {
      JUPYTER_PATH: installArielKernels(prefix),
      DOCKER_HOST: engine.host,
      // A GPU image on the CPU base this machine has.
      ARIEL_BASE_IMAGE_GPU: process.env.ARIEL_BASE_IMAGE_CPU || DEFAULT_BASE_IMAGES.cpu,
      // Only the kernels' own containers are counted below, not the warm pool's spares (made alike).
      ARIEL_KERNEL_POOL: '0'
    });
    server = jupyter;
    await jupyter.start();
    for (const name of ['ariel-gpu', 'ariel-cpu']) {
      const { status, body } = await jupyter.request<{ id: string }>('POST', '/api/kernels', { name });
      assert.equal(status, 201, `${JSON.stringify(body)}\n${jupyter.log.slice(-4000)}`);
      const client = await jupyter.connect(body.id);
      try {
        await client.ready(300_000);
      } finally {
        client.close();
      }
      assert.equal((await jupyter.request('DELETE', `/api/kernels/${body.id}`)).status, 204);
    }
    const requests = engine.created.filter(c => c.labels['org.ariel.role'] === 'kernel').map(c => c.deviceRequests);
    // All GPUs, as `docker run --gpus all` asks.
    assert.deepEqual(requests, [[{ Driver: '', Count: -1, Capabilities: [['gpu']] }], null]);
  });
});
