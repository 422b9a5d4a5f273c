/**
 * Ariel's kernel launcher, started by Jupyter from the ariel-cpu / ariel-gpu kernelspecs:
 *   node launch.js --accelerator cpu|gpu CONNECTION_FILE
 * It runs in the notebook's folder, makes sure the project's notebook image is current (through
 * the companion server when Jupyter has one), then runs ipykernel in a container and lives
 * exactly as long as that container.
 */
import { ArielError } from '../errors.js';
import {
  createAppDeps,
  describeEvent,
  startKernelContainer,
  type AppListener,
  type KernelHandle
} from '../app/index.js';
import { buildThroughCompanion, companionFromEnv } from '../http/client.js';
import { KERNEL_STARTED } from '../names.js';
import type { Accelerator } from '../project/config.js';
import { findProject } from '../project/project.js';
import { currentLauncher } from '../kernels/container.js';
import { explainKernelFailure } from '../kernels/explain.js';
import { watchParent } from '../kernels/lifetime.js';

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
  for (const warning of project.warnings) {
    process.stderr.write(`[Ariel] warning: ${warning}\n`);
  }
  const abort = new AbortController();
  // Set once the container runs; the signal handlers below may fire before.
  const started: { kernel?: KernelHandle } = {};
  // An interrupt (interrupt_mode "signal"): the SIGINT is passed on to the kernel.
  process.on('SIGINT', () => void started.kernel?.kill('SIGINT'));
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129]
  ] as const) {
    process.on(signal, () => {
      abort.abort();
      void (started.kernel?.remove() ?? Promise.resolve()).finally(() => process.exit(code));
    });
  }
  const onEvent: AppListener = event => {
    const line = describeEvent(event);
    if (line !== undefined) {
      process.stderr.write(`${line}\n`);
    }
  };
  // Under Jupyter with Ariel's server extension, the build runs in the companion server: it is
  // shared with the sidebar's and shows there. Without one, the image is built right here.
  const companion = companionFromEnv();
  if (companion) {
    await buildThroughCompanion(companion, { path: cwd, mode: 'notebook', accelerator, run: true }, onEvent);
  }
  const kernel = await startKernelContainer(
    createAppDeps(),
    { project, accelerator, connectionFile, cwd, launcher: currentLauncher() },
    {
      onEvent,
      signal: abort.signal,
      stdout: process.stdout,
      stderr: process.stderr
    }
  );
  started.kernel = kernel;
  try {
    // The provisioner (jupyterlab_ariel/provisioner.py) waits for this line.
    process.stderr.write(`${KERNEL_STARTED} (${kernel.image})\n`);
    return await kernel.exited;
  } finally {
    await kernel.remove();
  }
}

launch(process.argv.slice(2)).then(
  code => process.exit(code),
  error => {
    // Jupyter shows the kernel's stderr in its log, and the provisioner passes every [Ariel]
    // line on to JupyterLab's dialog: every line of the explanation carries the prefix, so a
    // failed build's log tail reaches the dialog too.
    process.stderr.write(
      explainKernelFailure(error)
        .map(line => `[Ariel] ${line}\n`)
        .join('')
    );
    process.exit(1);
  }
);
