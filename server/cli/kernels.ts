import { type Command, Option } from 'commander';
import type { AppDeps } from '../app/index.js';
import { registerDriftCommand } from './drift.js';
import { installKernelspecs, uninstallKernelspecs, type KernelspecLocation } from '../kernels/kernelspec.js';

interface LocationOptions {
  user?: boolean;
  sysPrefix?: boolean;
  prefix?: string;
  python?: string;
}

function withLocation(command: Command): Command {
  return command
    .addOption(new Option('--user', "the user's Jupyter data folder (default)").conflicts(['sysPrefix', 'prefix']))
    .addOption(
      new Option('--sys-prefix', 'the active Python environment (e.g. the project .venv)').conflicts(['user', 'prefix'])
    )
    .addOption(new Option('--prefix <dir>', 'PREFIX/share/jupyter/kernels').conflicts(['user', 'sysPrefix']));
}

function location(options: LocationOptions): KernelspecLocation {
  if (options.prefix !== undefined) {
    return { kind: 'prefix', prefix: options.prefix };
  }
  return options.sysPrefix ? { kind: 'sys-prefix' } : { kind: 'user' };
}

export function registerKernelCommands(program: Command, deps: AppDeps): void {
  const kernels = program.command('kernels').description('Jupyter kernels that run in the project image');
  registerDriftCommand(kernels, deps);
  withLocation(kernels.command('install').description('install the ariel-cpu and ariel-gpu kernelspecs'))
    .option('--python <path>', "the Jupyter environment's Python (default: found from the location)")
    .action((options: LocationOptions) => {
      const { dirs, provisioner } = installKernelspecs(location(options), options.python);
      for (const dir of dirs) {
        process.stdout.write(`Installed ${dir}\n`);
      }
      if (!provisioner) {
        process.stderr.write(
          'Note: the jupyterlab-ariel Python package is not in that Jupyter environment, so a kernel that cannot start\n' +
            "is reported in the server's log only. Install it there (pip install PATH-TO-ARIEL) and run this again.\n"
        );
      }
    });
  withLocation(kernels.command('uninstall').description('remove the ariel-cpu and ariel-gpu kernelspecs')).action(
    (options: LocationOptions) => {
      const removed = uninstallKernelspecs(location(options));
      process.stdout.write(
        removed.length
          ? removed.map(dir => `Removed ${dir}\n`).join('')
          : 'No Ariel kernelspecs were installed there.\n'
      );
    }
  );
}
