import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArielError } from '../errors.js';
import type { Accelerator } from '../project/config.js';
import { ACCELERATORS } from '../project/config.js';
import { kernelLogo } from './logos.js';

export const KERNEL_NAMES: Record<Accelerator, string> = { cpu: 'ariel-cpu', gpu: 'ariel-gpu' };

/** Where kernelspecs go, as `jupyter kernelspec install` chooses. */
export type KernelspecLocation = { kind: 'user' } | { kind: 'sys-prefix' } | { kind: 'prefix'; prefix: string };

/** Registered by this repo's Python package (jupyterlab_ariel/provisioner.py). */
export const PROVISIONER = 'ariel-container-provisioner';

/**
 * The kernel.json Jupyter reads: it starts Ariel's launcher with the connection file.
 * With the provisioner, a launcher that cannot start its container fails the kernel
 * start with its explanation, which JupyterLab shows in a dialog.
 */
export function kernelspec(accelerator: Accelerator, withProvisioner: boolean): object {
  return {
    argv: [
      process.execPath,
      fileURLToPath(new URL('../kernels/launch.bundle.mjs', import.meta.url)),
      '--accelerator',
      accelerator,
      '{connection_file}'
    ],
    display_name: `Python 3 (${accelerator.toUpperCase()} container)`,
    language: 'python',
    // ipykernel interrupts itself on an interrupt_request, so no signal has to cross into the container.
    interrupt_mode: 'message',
    metadata: {
      ariel: { accelerator },
      debugger: false,
      ...(withProvisioner ? { kernel_provisioner: { provisioner_name: PROVISIONER } } : {})
    }
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

/**
 * The Python of the Jupyter environment the kernelspecs are for: PREFIX/bin/python for
 * --prefix and --sys-prefix when it exists, else `python` (default: the active virtual
 * environment's, else python3).
 */
export function jupyterPython(
  location: KernelspecLocation,
  python?: string,
  env: NodeJS.ProcessEnv = process.env
): string {
  if (python) {
    return python;
  }
  const prefix =
    location.kind === 'prefix' ? location.prefix : location.kind === 'sys-prefix' ? pythonPrefix(env) : env.VIRTUAL_ENV;
  const candidate = prefix && join(prefix, platform() === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  return candidate && existsSync(candidate) ? candidate : 'python3';
}

/** True when that Python can load Ariel's kernel provisioner. */
export function hasProvisioner(python: string): boolean {
  const check =
    'from importlib.metadata import entry_points; import sys; ' +
    `sys.exit(not entry_points(group="jupyter_client.kernel_provisioners", name="${PROVISIONER}"))`;
  try {
    execFileSync(python, ['-I', '-c', check], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The active Python environment: the virtual environment if one is active, else python3's prefix. */
function pythonPrefix(env: NodeJS.ProcessEnv): string {
  if (env.VIRTUAL_ENV) {
    return env.VIRTUAL_ENV;
  }
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim();
  } catch {
    throw new ArielError(
      'kernels-install-failed',
      'No Python environment found for --sys-prefix.',
      'Activate the Jupyter environment, or use --prefix or --user.'
    );
  }
}

export interface InstallResult {
  dirs: string[];
  /** Whether the kernelspecs use Ariel's provisioner (its Python package is in that environment). */
  provisioner: boolean;
}

export function installKernelspecs(location: KernelspecLocation, python?: string): InstallResult {
  const dir = kernelsDir(location);
  const provisioner = hasProvisioner(jupyterPython(location, python));
  const dirs = ACCELERATORS.map(accelerator => {
    const target = join(dir, KERNEL_NAMES[accelerator]);
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'kernel.json'), `${JSON.stringify(kernelspec(accelerator, provisioner), null, 2)}\n`);
    writeFileSync(join(target, 'logo-svg.svg'), kernelLogo(accelerator));
    return target;
  });
  return { dirs, provisioner };
}

export function uninstallKernelspecs(location: KernelspecLocation): string[] {
  const dir = kernelsDir(location);
  return ACCELERATORS.map(accelerator => join(dir, KERNEL_NAMES[accelerator])).filter(target => {
    const present = existsSync(target);
    rmSync(target, { recursive: true, force: true });
    return present;
  });
}
