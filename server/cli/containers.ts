import type { Command } from 'commander';
import { listContainers, type AppDeps, type ContainerInfo } from '../app/index.js';
import { formatAge, projectRoot, table, type ProjectOption } from './images.js';

/**
 * What a user's containers are: kernels, runs and shells. The warm pool's spares (kernel
 * containers waiting to become the next kernel) and GPU probes are Ariel's own, shown on request.
 */
function isUsers(container: ContainerInfo): boolean {
  return !container.spare && container.role !== 'gpu-probe';
}

function roleWord(container: ContainerInfo): string {
  return container.spare ? 'spare (warm pool)' : container.role;
}

export function registerContainerCommands(program: Command, deps: AppDeps): void {
  program
    .command('ps')
    .description("list Ariel's containers (kernels, runs, shells), newest first")
    .option('--project <dir>', 'only the containers of this project (default: all projects)')
    .option('--all', "also the warm pool's spare kernel containers and GPU probes")
    .option('--json', 'print the list as JSON')
    .action(async (options: ProjectOption & { all?: boolean; json?: boolean }) => {
      const containers = await listContainers(deps, { project: projectRoot(options) });
      const shown = options.all ? containers : containers.filter(isUsers);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      if (shown.length > 0) {
        process.stdout.write(
          table([
            ['CONTAINER', 'ROLE', 'IMAGE', 'STATUS', 'CREATED', 'PROJECT'],
            ...shown.map(c => [
              c.id.slice(0, 12),
              roleWord(c),
              c.image,
              c.status,
              formatAge(c.created),
              c.project ?? ''
            ])
          ])
        );
      } else {
        process.stderr.write('No containers started by Ariel.\n');
      }
      const spares = options.all ? 0 : containers.filter(c => c.spare).length;
      if (spares > 0) {
        process.stderr.write(
          `${spares} spare kernel container${spares === 1 ? '' : 's'} of the warm pool not listed: ` +
            `not kernels yet, each becomes the next kernel started from its image (ariel ps --all lists them).\n`
        );
      }
    });
}
