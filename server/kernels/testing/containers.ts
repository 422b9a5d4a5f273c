import { spawnSync } from 'node:child_process';
import { kernelContainers } from '../../testing/docker.js';

/**
 * The running container of a Jupyter kernel in the project at `root`: a fresh container's command
 * names the kernel's connection file, a spare from the pool is named after it when handed out.
 */
export function containerOfKernel(root: string, id: string): string | undefined {
  return kernelContainers(root).find(container => {
    const inspected = spawnSync(
      'docker',
      ['inspect', '--format', '{{.State.Running}} {{.Name}} {{json .Config.Cmd}}', container],
      { encoding: 'utf8' }
    ).stdout;
    return inspected.startsWith('true ') && inspected.includes(`kernel-${id}`);
  });
}
