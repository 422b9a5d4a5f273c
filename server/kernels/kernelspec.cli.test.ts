import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../testing/cli.js';
import { installArielKernels, JUPYTER_ENV } from '../testing/jupyter.js';

interface KernelJson {
  argv: string[];
  display_name: string;
  interrupt_mode: string;
  metadata: { kernel_provisioner?: { provisioner_name: string } };
}

describe('ariel kernels install / uninstall', () => {
  const prefix = mkdtempSync(join(tmpdir(), 'ariel-kernelspec-'));
  const kernelJson = (name: string) =>
    JSON.parse(readFileSync(join(prefix, 'share', 'jupyter', 'kernels', name, 'kernel.json'), 'utf8')) as KernelJson;
  after(() => rmSync(prefix, { recursive: true, force: true }));

  it('writes CPU and GPU kernelspecs that start the launcher with the connection file', async () => {
    // Throws when the CLI fails.
    installArielKernels(prefix);
    const cpu = kernelJson('ariel-cpu');
    const gpu = kernelJson('ariel-gpu');
    assert.equal(cpu.display_name, 'Python 3 (CPU container)');
    assert.equal(gpu.display_name, 'Python 3 (GPU container)');
    assert.equal(cpu.argv[0], process.execPath);
    assert.ok(existsSync(cpu.argv[1]), `the launcher ${cpu.argv[1]} does not exist`);
    assert.deepEqual(cpu.argv.slice(2), ['--accelerator', 'cpu', '{connection_file}']);
    assert.deepEqual(gpu.argv.slice(2), ['--accelerator', 'gpu', '{connection_file}']);
    assert.equal(cpu.interrupt_mode, 'signal');
    // The Jupyter environment has jupyterlab-ariel, so its provisioner is used.
    assert.equal(cpu.metadata.kernel_provisioner?.provisioner_name, 'ariel-container-provisioner');
  });

  it('leaves the provisioner out, and says so, for a Jupyter environment without the package', async () => {
    const result = await runCli(['kernels', 'install', '--prefix', prefix, '--python', 'python3']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(kernelJson('ariel-cpu').metadata.kernel_provisioner, undefined);
    assert.match(result.stderr, /jupyterlab-ariel Python package is not in that Jupyter environment/);
  });

  it('removes them again, and says when there is nothing to remove', async () => {
    const removed = await runCli(['kernels', 'uninstall', '--prefix', prefix]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /Removed .*ariel-cpu\nRemoved .*ariel-gpu/);
    assert.ok(!existsSync(join(prefix, 'share', 'jupyter', 'kernels', 'ariel-cpu')));
    const again = await runCli(['kernels', 'uninstall', '--prefix', prefix]);
    assert.match(again.stdout, /No Ariel kernelspecs were installed there/);
  });

  it('rejects two locations at once', async () => {
    const result = await runCli(['kernels', 'install', '--user', '--prefix', prefix]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /cannot be used with/);
  });

  describe('bad locations and Pythons: an error naming them, nothing half-written', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ariel-kernelspec-bad-'));
    after(() => rmSync(scratch, { recursive: true, force: true }));
    const install = (...args: string[]) => runCli(['kernels', 'install', ...args]);

    function assertFails(result: { code: number | null; stderr: string }, ...fragments: string[]): void {
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stderr, /unexpected error/);
      for (const fragment of fragments) {
        assert.ok(result.stderr.includes(fragment), `${JSON.stringify(fragment)} not in:\n${result.stderr}`);
      }
    }

    it('refuses a prefix that is a file, for install and uninstall', async () => {
      const file = join(scratch, 'a-file');
      writeFileSync(file, 'x');
      const kernels = join(file, 'share', 'jupyter', 'kernels');
      assertFails(await install('--prefix', file, '--python', 'python3'), kernels, 'is a file, not a folder');
      assertFails(await runCli(['kernels', 'uninstall', '--prefix', file]), kernels);
    });

    it('refuses a prefix it may not write to', { skip: process.platform !== 'linux' }, async () => {
      // Read-only for every user, root included.
      assertFails(await install('--prefix', '/sys/ariel-kernelspec-test', '--python', 'python3'), 'permission denied');
    });

    it('refuses an empty prefix instead of installing into the user folder', async () => {
      const data = join(scratch, 'user-data');
      const result = await runCli(['kernels', 'install', '--prefix', ''], { env: { JUPYTER_DATA_DIR: data } });
      assertFails(result, 'prefix', 'empty');
      assert.ok(!existsSync(data), 'nothing is written to the user folder');
    });

    it('refuses a Python that does not exist or is empty, writing nothing', async () => {
      const prefix = join(scratch, 'no-python');
      assertFails(
        await install('--prefix', prefix, '--python', join(scratch, 'missing', 'python')),
        'missing/python',
        'does not exist'
      );
      assertFails(await install('--prefix', prefix, '--python', scratch), scratch, 'cannot be run');
      assertFails(await install('--prefix', prefix, '--python', ''), 'empty');
      assert.ok(!existsSync(prefix), 'nothing is written');
    });

    it('removes the first kernelspec when the second cannot be written', async () => {
      const prefix = join(scratch, 'half');
      const kernels = join(prefix, 'share', 'jupyter', 'kernels');
      mkdirSync(kernels, { recursive: true });
      writeFileSync(join(kernels, 'ariel-gpu'), 'in the way');
      assertFails(await install('--prefix', prefix, '--python', 'python3'), join(kernels, 'ariel-gpu'));
      assert.deepEqual(readdirSync(kernels), ['ariel-gpu']);
    });
  });
});

/** The kernelspecs Jupyter itself finds, run from `python` with `env`: name → resource folder. */
function jupyterKernelspecs(python: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const clean = {
    ...process.env,
    JUPYTER_PATH: undefined,
    JUPYTER_DATA_DIR: undefined,
    XDG_DATA_HOME: undefined,
    ...env
  };
  const find =
    'import json; from jupyter_client.kernelspec import KernelSpecManager as M; print(json.dumps(M().find_kernel_specs()))';
  return JSON.parse(execFileSync(python, ['-c', find], { encoding: 'utf8', env: clean })) as Record<string, string>;
}

describe('ariel kernels install: where Jupyter finds them', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ariel-kernelspec-places-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** A virtual environment that shares the test Jupyter environment's packages under another prefix. */
  function jupyterVenv(name: string): string {
    const venv = join(scratch, name);
    mkdirSync(join(venv, 'bin'), { recursive: true });
    mkdirSync(join(venv, 'lib'));
    copyFileSync(join(JUPYTER_ENV, 'pyvenv.cfg'), join(venv, 'pyvenv.cfg'));
    symlinkSync(join(JUPYTER_ENV, 'bin', 'python'), join(venv, 'bin', 'python'));
    for (const lib of ['python3.11', 'python3.12', 'python3.13'].filter(lib =>
      existsSync(join(JUPYTER_ENV, 'lib', lib))
    )) {
      symlinkSync(join(JUPYTER_ENV, 'lib', lib), join(venv, 'lib', lib));
    }
    return venv;
  }

  it("--user writes to the user's Jupyter data folder, with the active environment's provisioner", async () => {
    const home = join(scratch, 'home');
    mkdirSync(home);
    const env = { HOME: home, JUPYTER_DATA_DIR: undefined, XDG_DATA_HOME: undefined, VIRTUAL_ENV: JUPYTER_ENV };
    const result = await runCli(['kernels', 'install', '--user'], { env });
    assert.equal(result.code, 0, result.stderr);
    const found = jupyterKernelspecs(join(JUPYTER_ENV, 'bin', 'python'), { HOME: home });
    assert.equal(found['ariel-cpu'], join(home, '.local', 'share', 'jupyter', 'kernels', 'ariel-cpu'));
    assert.equal(found['ariel-gpu'], join(home, '.local', 'share', 'jupyter', 'kernels', 'ariel-gpu'));
    const spec = JSON.parse(readFileSync(join(found['ariel-cpu'], 'kernel.json'), 'utf8')) as KernelJson;
    assert.equal(spec.metadata.kernel_provisioner?.provisioner_name, 'ariel-container-provisioner');
  });

  it("--sys-prefix writes into the active environment, found by that environment's Jupyter", async () => {
    const venv = jupyterVenv('active');
    const result = await runCli(['kernels', 'install', '--sys-prefix'], { env: { VIRTUAL_ENV: venv } });
    assert.equal(result.code, 0, result.stderr);
    const found = jupyterKernelspecs(join(venv, 'bin', 'python'), { HOME: scratch });
    assert.equal(found['ariel-cpu'], join(venv, 'share', 'jupyter', 'kernels', 'ariel-cpu'));
    const spec = JSON.parse(readFileSync(join(found['ariel-cpu'], 'kernel.json'), 'utf8')) as KernelJson;
    assert.equal(spec.metadata.kernel_provisioner?.provisioner_name, 'ariel-container-provisioner');
  });

  it("--prefix takes the Jupyter Python from PREFIX/bin, and python3's otherwise", async () => {
    const venv = jupyterVenv('prefix');
    const withJupyter = await runCli(['kernels', 'install', '--prefix', venv], { env: { VIRTUAL_ENV: undefined } });
    assert.equal(withJupyter.code, 0, withJupyter.stderr);
    const spec = JSON.parse(
      readFileSync(join(venv, 'share', 'jupyter', 'kernels', 'ariel-cpu', 'kernel.json'), 'utf8')
    ) as KernelJson;
    assert.equal(spec.metadata.kernel_provisioner?.provisioner_name, 'ariel-container-provisioner');
    assert.equal(
      jupyterKernelspecs(join(venv, 'bin', 'python'), { HOME: scratch })['ariel-cpu'],
      join(venv, 'share', 'jupyter', 'kernels', 'ariel-cpu')
    );
  });
});
