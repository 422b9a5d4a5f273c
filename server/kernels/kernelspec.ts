import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArielError } from '../errors.js';
import type { Accelerator } from '../project/config.js';
import { ACCELERATORS } from '../project/config.js';

export const KERNEL_NAMES: Record<Accelerator, string> = { cpu: 'ariel-cpu', gpu: 'ariel-gpu' };

/** Where kernelspecs go, as `jupyter kernelspec install` chooses. */
export type KernelspecLocation = { kind: 'user' } | { kind: 'sys-prefix' } | { kind: 'prefix'; prefix: string };

/** The kernel.json Jupyter reads: it starts Ariel's launcher with the connection file. */
export function kernelspec(accelerator: Accelerator): object {
  return {
    argv: [process.execPath, fileURLToPath(new URL('../kernels/launch.bundle.mjs', import.meta.url)), '--accelerator', accelerator, '{connection_file}'],
    display_name: `Python 3 (${accelerator.toUpperCase()} container)`,
    language: 'python',
    // ipykernel interrupts itself on an interrupt_request, so no signal has to cross into the container.
    interrupt_mode: 'message',
    metadata: { ariel: { accelerator }, debugger: false }
  };
}

export function kernelsDir(location: KernelspecLocation, env: NodeJS.ProcessEnv = process.env): string {
  switch (location.kind) {
    case 'prefix':
      return join(location.prefix, 'share', 'jupyter', 'kernels');
    case 'sys-prefix':
      return join(pythonPrefix(env), 'share', 'jupyter', 'kernels');
    case 'user':
      return join(userDataDir(env), 'kernels');
  }
}

/** Jupyter's per-user data folder (jupyter_core.paths.jupyter_data_dir). */
function userDataDir(env: NodeJS.ProcessEnv): string {
  if (env.JUPYTER_DATA_DIR) {
    return env.JUPYTER_DATA_DIR;
  }
  if (platform() === 'darwin') {
    return join(homedir(), 'Library', 'Jupyter');
  }
  if (platform() === 'win32') {
    return join(env.APPDATA ?? homedir(), 'jupyter');
  }
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'jupyter');
}

/** The active Python environment: the virtual environment if one is active, else python3's prefix. */
function pythonPrefix(env: NodeJS.ProcessEnv): string {
  if (env.VIRTUAL_ENV) {
    return env.VIRTUAL_ENV;
  }
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim();
  } catch {
    throw new ArielError('No Python environment found for --sys-prefix.', 'Activate the Jupyter environment, or use --prefix or --user.');
  }
}

export function installKernelspecs(location: KernelspecLocation): string[] {
  const dir = kernelsDir(location);
  return ACCELERATORS.map(accelerator => {
    const target = join(dir, KERNEL_NAMES[accelerator]);
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'kernel.json'), `${JSON.stringify(kernelspec(accelerator), null, 2)}\n`);
    return target;
  });
}

export function uninstallKernelspecs(location: KernelspecLocation): string[] {
  const dir = kernelsDir(location);
  return ACCELERATORS.map(accelerator => join(dir, KERNEL_NAMES[accelerator])).filter(target => {
    const present = existsSync(target);
    rmSync(target, { recursive: true, force: true });
    return present;
  });
}
