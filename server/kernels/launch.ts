/**
 * Ariel's kernel launcher, started by Jupyter from the ariel-cpu / ariel-gpu kernelspecs:
 *   node launch.js --accelerator cpu|gpu CONNECTION_FILE
 * It runs in the notebook's folder, makes sure the project's notebook image is current,
 * then runs ipykernel in a container and lives exactly as long as that container.
 */
import { ArielError } from '../errors.js';
import { buildProgress } from '../cli/progress.js';
import { BuildService } from '../docker/build.js';
import { connectDocker, ensureEngine } from '../docker/engine.js';
import { ensureGpuAvailable, translateGpuError } from '../docker/gpu.js';
import { planImage } from '../dockerfile/plan.js';
import type { Accelerator } from '../project/config.js';
import { findProject } from '../project/project.js';
import { currentLauncher, defaultKernelNetwork, kernelContainer, removeOrphanKernels } from './container.js';
import { watchParent } from './lifetime.js';

const CPU_KERNEL = 'the "Python 3 (CPU container)" kernel';

function parseArgs(argv: string[]): { accelerator: Accelerator; connectionFile: string } {
  const index = argv.indexOf('--accelerator');
  const accelerator = index >= 0 ? argv[index + 1] : 'cpu';
  const rest = argv.filter((_, i) => i !== index && i !== index + 1);
  if ((accelerator !== 'cpu' && accelerator !== 'gpu') || rest.length !== 1) {
    throw new ArielError(
      'usage',
      'usage: launch.js [--accelerator cpu|gpu] CONNECTION_FILE',
      'Reinstall the kernelspecs with: ariel kernels install'
    );
  }
  return { accelerator, connectionFile: rest[0] };
}

async function launch(argv: string[]): Promise<number> {
  const { accelerator, connectionFile } = parseArgs(argv);
  // Jupyter may die without stopping its kernels: end as if it had sent SIGTERM (handled below).
  watchParent(() => process.kill(process.pid, 'SIGTERM'));
  const cwd = process.cwd();
  const project = findProject(cwd);
  const docker = connectDocker();
  await ensureEngine(docker);
  await Promise.all([
    removeOrphanKernels(docker),
    accelerator === 'gpu' ? ensureGpuAvailable(docker, CPU_KERNEL) : undefined
  ]);
  const progress = await buildProgress(process.stderr);
  const plan = planImage(project, { mode: 'notebook', accelerator });
  const { image } = await new BuildService(docker).ensureImage(plan, { onEvent: progress.listener });

  const { create, cleanup } = kernelContainer({
    project,
    image,
    accelerator,
    connectionFile,
    cwd,
    network: project.config.kernel.network ?? defaultKernelNetwork(),
    launcher: currentLauncher()
  });
  const container = await docker.createContainer(create);
  const removeContainer = () => container.remove({ force: true }).catch(() => undefined);
  // Interrupts normally arrive as messages; a SIGINT (interrupt_mode "signal") is passed on.
  process.on('SIGINT', () => void container.kill({ signal: 'SIGINT' }).catch(() => undefined));
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void removeContainer().finally(() => process.exit(128 + (signal === 'SIGTERM' ? 15 : 1))));
  }
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    docker.modem.demuxStream(stream, process.stdout, process.stderr);
    // Asked before the start, so a kernel that exits at once is still seen exiting.
    const exited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    try {
      await container.start();
    } catch (error) {
      throw translateGpuError(error, CPU_KERNEL);
    }
    // The provisioner (jupyterlab_ariel/provisioner.py) waits for this line.
    process.stderr.write(`[Ariel] Kernel container started (${image})\n`);
    return (await exited).StatusCode;
  } finally {
    await removeContainer();
    cleanup();
  }
}

launch(process.argv.slice(2)).then(
  code => process.exit(code),
  error => {
    // Jupyter shows the kernel's stderr in its log: say what failed and what to do.
    if (error instanceof ArielError) {
      process.stderr.write(`[Ariel] ${error.message}\n${error.hint ? `[Ariel] ${error.hint}\n` : ''}`);
    } else {
      process.stderr.write(`[Ariel] The container kernel could not start: ${(error as Error)?.message ?? error}\n`);
    }
    process.exit(1);
  }
);
