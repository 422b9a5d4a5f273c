import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { testUser } from '../testing/cli.js';
import { assertConfined, PROBE, probeIn } from '../testing/confinement.js';
import { kernelContainers, removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { JUPYTER_ENV } from '../testing/jupyter.js';

/** The package's root; a kernelspec's argv (kernelspec.ts) runs its dist/server/kernels/launch.bundle.mjs. */
const PACKAGE = fileURLToPath(new URL('../../../', import.meta.url));
/** What of the package the launcher's bundle reads: itself and the config's schema. */
const LAUNCHER_FILES = ['dist/server/kernels/launch.bundle.mjs', 'schema'];
const PYTHON = join(JUPYTER_ENV, 'bin', 'python');

/**
 * A Jupyter client as Jupyter Server's own: connects to the kernel of CONNECTION_FILE, runs
 * CODE, prints {status, stdout} as JSON and asks the kernel to shut down.
 */
const CLIENT = `
import json, sys
from jupyter_client import BlockingKernelClient
client = BlockingKernelClient(connection_file=sys.argv[1])
client.load_connection_file()
# Without heartbeats, which a loaded machine can miss: the kernel_info reply says it runs.
client.start_channels(hb=False)
client.wait_for_ready(timeout=300)
out = []
def hook(msg):
    if msg["msg_type"] == "stream":
        out.append(msg["content"]["text"])
    elif msg["msg_type"] == "error":
        out.append("\\n".join(msg["content"]["traceback"]))
reply = client.execute_interactive(sys.argv[2], timeout=300, output_hook=hook)
print(json.dumps({"status": reply["content"]["status"], "stdout": "".join(out)}))
client.shutdown()
client.stop_channels()
`;

describe('the kernel launcher of a non-root host user', () => {
  const user = testUser();
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'ariel-launch-')));
  const root = join(scratch, 'project');
  let launcher: ChildProcess | undefined;
  let stderr = '';

  after(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGTERM');
    }
    await eventually(() => kernelContainers(root).length === 0, 'kernel containers to be removed');
    removeImagesOf(root);
    rmSync(scratch, { recursive: true, force: true });
  });

  it(
    "runs the kernel with the user's uid and gid, so files it writes to the project are theirs, and no capabilities",
    {
      skip: !user && 'needs root, and the test user that scripts/lib/test-tools.sh creates able to read this checkout'
    },
    async () => {
      const { name, uid, gid } = user!;
      // The repo's launcher may live where the user cannot read it (a checkout under /root):
      // the same files, copied where they can, are what a kernelspec of theirs would run.
      const installed = join(scratch, 'package');
      for (const path of LAUNCHER_FILES) {
        cpSync(join(PACKAGE, path), join(installed, path), { recursive: true });
      }
      execFileSync('chmod', ['-R', 'a+rX', scratch]);
      const bundle = join(installed, LAUNCHER_FILES[0]);
      mkdirSync(root);
      writeFileSync(join(root, 'requirements.txt'), 'six\n');
      execFileSync('chown', ['-R', `${name}:`, root]);
      // Written by Jupyter's own code, as Jupyter Server would for the user: theirs, mode 600.
      const connectionFile = join(scratch, 'kernel-owner.json');
      execFileSync(PYTHON, [
        '-c',
        'import sys; from jupyter_client.connect import write_connection_file; write_connection_file(sys.argv[1])',
        connectionFile
      ]);
      execFileSync('chown', [`${name}:`, connectionFile]);

      const started = spawn(
        'runuser',
        ['-u', name, '--', process.execPath, bundle, '--accelerator', 'cpu', connectionFile],
        { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] }
      );
      launcher = started;
      started.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>(resolve => started.on('close', code => resolve(code)));
      await eventually(
        () => {
          assert.equal(started.exitCode, null, `the launcher exited:\n${stderr}`);
          return /\[Ariel\] Kernel container started/.test(stderr);
        },
        'the kernel container to start',
        600_000
      );

      const client = spawnSync(
        PYTHON,
        [
          '-c',
          CLIENT,
          connectionFile,
          `import os; print(os.getuid(), os.getgid()); open('from-kernel.txt', 'w').write('x')\n${PROBE}`
        ],
        { encoding: 'utf8' }
      );
      assert.equal(client.status, 0, `${client.stderr}\n--- launcher ---\n${stderr.slice(-4000)}`);
      const result = JSON.parse(client.stdout) as { status: string; stdout: string };
      assert.equal(result.status, 'ok', result.stdout);
      assert.equal(result.stdout.split('\n')[0], `${uid} ${gid}`);
      // No capability to use or to gain: a raw socket sniffing loopback is out of reach.
      assertConfined(probeIn(result.stdout), '4096');
      const written = statSync(join(root, 'from-kernel.txt'));
      assert.deepEqual([written.uid, written.gid], [uid, gid]);

      // The kernel was asked to shut down: its launcher ends, and the container goes with it.
      assert.equal(await exited, 0, stderr);
      await eventually(() => kernelContainers(root).length === 0, 'the kernel container to be removed');
    }
  );
});
