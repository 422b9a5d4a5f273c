import type { Command } from 'commander';
import {
  addDriftToProject,
  checkLock,
  kernelDrift,
  lockProject,
  type AppDeps,
  type KernelDrift,
  type Progress
} from '../app/index.js';
import { describeDistributions, isEmptyDrift } from '../drift/compare.js';
import { findProject } from '../project/project.js';
import { buildProgress } from './progress.js';
import { projectRoot, type ProjectOption } from './images.js';

async function withBuildProgress<T>(
  signal: AbortSignal | undefined,
  run: (progress: Progress) => Promise<T>
): Promise<T> {
  const display = await buildProgress();
  try {
    return await run({ onEvent: display.listener, signal });
  } finally {
    display.stop();
  }
}

/** `ariel lock`: the project's versions written down, or checked. */
export function registerLockCommand(program: Command, deps: AppDeps, signal?: AbortSignal): void {
  program
    .command('lock')
    .description(
      'write requirements.lock (pip constraints) from the notebook image, so every image and machine installs the same versions'
    )
    .option('--project <dir>', 'project folder (default: found from the working directory)')
    .option('--check', 'exit non-zero when the requirements no longer resolve within requirements.lock; write nothing')
    .action(async (options: { project?: string; check?: boolean }) => {
      const project = findProject(options.project ?? process.cwd());
      if (options.check) {
        const { image, unlocked } = await withBuildProgress(signal, progress => checkLock(deps, { project }, progress));
        if (unlocked.length > 0) {
          process.stderr.write(
            `ariel: ${image} installs ${unlocked.length} package${unlocked.length === 1 ? '' : 's'} requirements.lock does not name: ${describeDistributions(unlocked)}\n` +
              '  A requirement was added since the lock was written: run ariel lock to write it again.\n'
          );
          process.exitCode = 1;
          return;
        }
        process.stderr.write(`The requirements resolve within requirements.lock (${image}).\n`);
        return;
      }
      const { file, image, packages } = await withBuildProgress(signal, progress =>
        lockProject(deps, { project }, progress)
      );
      process.stderr.write(`Wrote ${packages.length} versions from ${image}; images built from now on install them.\n`);
      process.stdout.write(`${file}\n`);
    });
}

/** One kernel's drift in words: what was installed here, removed, or changed version. */
export function describeKernelDrift(kernel: KernelDrift): string[] {
  if (!kernel.recorded) {
    return [`  its image ${kernel.image} has no record of its packages (built before Ariel recorded them)`];
  }
  const { added, removed, changed } = kernel.drift;
  const count = (n: number) => `${n} package${n === 1 ? '' : 's'}`;
  return [
    ...(added.length
      ? [`  ${count(added.length)} installed here not in the project: ${describeDistributions(added)}`]
      : []),
    ...(changed.length
      ? [
          `  ${count(changed.length)} at another version than the image's: ${changed
            .map(d => `${d.name} ${d.version} (image: ${d.recorded})`)
            .join(', ')}`
        ]
      : []),
    ...(removed.length ? [`  ${count(removed.length)} removed here: ${describeDistributions(removed)}`] : [])
  ];
}

/** `ariel kernels drift`: what running kernels installed that their images do not hold. */
export function registerDriftCommand(kernels: Command, deps: AppDeps): void {
  kernels
    .command('drift')
    .description("list what running container kernels installed (%pip) that is not in their project's image")
    .option('--project <dir>', 'only the kernels of this project (default: all projects)')
    .option('--json', 'print the drift as JSON')
    .option('--add <container>', "append that kernel's added packages to the project's requirements.txt, pinned")
    .action(async (options: ProjectOption & { json?: boolean; add?: string }) => {
      if (options.add !== undefined) {
        const project = findProject(options.project ?? process.cwd());
        const result = await addDriftToProject(deps, { project, container: options.add });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        } else if (result.written) {
          process.stdout.write(`Added to ${result.file}:\n${result.lines.map(l => `  ${l}\n`).join('')}`);
          process.stderr.write('The image is now outdated: the next kernel start or restart builds the new one.\n');
        } else if (result.lines.length > 0) {
          process.stdout.write(
            `Add to ${result.where} in ${result.file}:\n${result.lines.map(l => `  "${l}",\n`).join('')}`
          );
        } else {
          process.stderr.write('Nothing to add: that kernel installed no package its image lacks.\n');
        }
        for (const d of result.notWritten) {
          process.stderr.write(
            d.reason === 'removed'
              ? `Not written: ${d.name} ${d.recorded} was removed in the kernel.\n`
              : `Not written: ${d.name} was downgraded in the kernel to ${d.version} (image: ${d.recorded}).\n`
          );
        }
        return;
      }
      const drift = await kernelDrift(deps, { project: projectRoot(options) });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(drift, null, 2)}\n`);
        return;
      }
      if (drift.length === 0) {
        process.stderr.write('No container kernel is running.\n');
        return;
      }
      for (const kernel of drift) {
        const lines = describeKernelDrift(kernel);
        const clean = kernel.recorded && isEmptyDrift(kernel.drift);
        process.stdout.write(
          `${kernel.name} (${kernel.image})${clean ? ': same packages as its image' : ''}\n${lines.map(l => `${l}\n`).join('')}`
        );
      }
    });
}
