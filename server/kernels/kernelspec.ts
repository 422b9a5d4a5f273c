import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArielError } from '../errors.js';
import type { Accelerator } from '../project/config.js';
import { ACCELERATORS } from '../project/config.js';
import { KERNEL_NAMES } from '../names.js';
import { kernelLogo } from './logos.js';

export { KERNEL_NAMES };

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
    // A SIGINT, as for a local ipykernel: Jupyter asks the provisioner, which has the companion
    // (or the launcher) signal the container. An interrupt_request over Jupyter's own control
    // socket was at times lost for a kernel started just after a companion restart.
    interrupt_mode: 'signal',
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
      if (!location.prefix) {
        // join('', ...) would quietly install relative to the working directory.
        throw new ArielError(
          'kernels-install-failed',
          'The prefix folder for the kernelspecs is empty.',
          'Name the folder whose share/jupyter/kernels should hold them, or choose the user or sys-prefix location.'
        );
      }
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

/**
 * True when that Python can load Ariel's kernel provisioner; an error naming the path when it
 * cannot be started at all (missing, a folder, not executable).
 */
export function hasProvisioner(python: string): boolean {
  if (!python) {
    throw new ArielError('kernels-install-failed', 'The path of the Python is empty.', PYTHON_HINT);
  }
  const check =
    'from importlib.metadata import entry_points; import sys; ' +
    `sys.exit(not entry_points(group="jupyter_client.kernel_provisioners", name="${PROVISIONER}"))`;
  try {
    execFileSync(python, ['-I', '-c', check], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // A spawn failure has an errno code; a Python that ran and said no has an exit status.
    const code = (error as NodeJS.ErrnoException).code;
    if (code) {
      throw new ArielError(
        'kernels-install-failed',
        `The Python ${python} cannot be run: ${code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'it is not an executable file' : code}.`,
        PYTHON_HINT
      );
    }
    return false;
  }
}

const PYTHON_HINT = "Give the path of the Jupyter environment's Python, e.g. .venv/bin/python.";

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
      'No Python environment found for the sys-prefix location.',
      'Activate the Jupyter environment, or choose the user or prefix location.'
    );
  }
}

export interface InstallResult {
  dirs: string[];
  /** Whether the kernelspecs use Ariel's provisioner (its Python package is in that environment). */
  provisioner: boolean;
}

/**
 * Writes both kernelspecs, or neither: when one cannot be written, what was written is removed.
 * A Python given explicitly must exist; the one found from the location may be missing
 * (the kernelspecs then go without the provisioner).
 */
export function installKernelspecs(location: KernelspecLocation, python?: string): InstallResult {
  const dir = kernelsDir(location);
  const provisioner = python === undefined ? foundHasProvisioner(location) : hasProvisioner(python);
  const written: string[] = [];
  try {
    for (const accelerator of ACCELERATORS) {
      const target = join(dir, KERNEL_NAMES[accelerator]);
      // mkdirSync returns the first folder it created: removing that removes all it made.
      written.push(mkdirSync(target, { recursive: true }) ?? target);
      writeFileSync(join(target, 'kernel.json'), `${JSON.stringify(kernelspec(accelerator, provisioner), null, 2)}\n`);
      writeFileSync(join(target, 'logo-svg.svg'), kernelLogo(accelerator));
    }
  } catch (error) {
    for (const path of written.reverse()) {
      rmSync(path, { recursive: true, force: true });
    }
    throw cannotWrite('write the kernelspecs into', dir, error as NodeJS.ErrnoException);
  }
  return { dirs: ACCELERATORS.map(accelerator => join(dir, KERNEL_NAMES[accelerator])), provisioner };
}

function foundHasProvisioner(location: KernelspecLocation): boolean {
  try {
    return hasProvisioner(jupyterPython(location));
  } catch {
    return false;
  }
}

export function uninstallKernelspecs(location: KernelspecLocation): string[] {
  const dir = kernelsDir(location);
  return ACCELERATORS.map(accelerator => join(dir, KERNEL_NAMES[accelerator])).filter(target => {
    const present = existsSync(target);
    try {
      rmSync(target, { recursive: true, force: true });
    } catch (error) {
      throw cannotWrite('remove the kernelspecs from', dir, error as NodeJS.ErrnoException);
    }
    return present;
  });
}

function cannotWrite(action: string, dir: string, error: NodeJS.ErrnoException): ArielError {
  const reasons: Record<string, string> = {
    ENOTDIR: 'a part of that path is a file, not a folder',
    EEXIST: `${error.path} is a file, not a folder`,
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only'
  };
  return new ArielError(
    'kernels-install-failed',
    `Cannot ${action} ${dir}: ${reasons[error.code ?? ''] ?? error.code ?? error.message}.`,
    'Choose a folder you can write to.'
  );
}
