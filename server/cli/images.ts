import type { Command } from 'commander';
import { imageRecord, listImages, pruneImages, type AppDeps, type ImageInfo } from '../app/index.js';
import { findProject } from '../project/project.js';

export interface ProjectOption {
  project?: string;
}

/** The project root `--project` names (found from the folder as other commands do), or all projects. */
export function projectRoot(options: ProjectOption): string | undefined {
  return options.project === undefined ? undefined : findProject(options.project).root;
}

/** 1.2 GB, 340 MB, ... as `docker images` shows sizes. */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toPrecision(3)} ${units[unit]}`;
}

/** "5 minutes ago", "3 days ago" */
export function formatAge(created: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(created)) / 1000));
  const steps: [number, string][] = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [7, 'day'],
    [Infinity, 'week']
  ];
  let value = seconds;
  for (const [size, name] of steps) {
    if (value < size) {
      return `${value} ${name}${value === 1 ? '' : 's'} ago`;
    }
    value = Math.floor(value / size);
  }
  return '';
}

function currentWord(image: ImageInfo): string {
  return image.current === null ? 'unknown' : image.current ? 'yes' : 'no';
}

/** Rows as columns padded to their widest cell, the first row being the header. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map(row => row[column].length)));
  return rows
    .map(
      row =>
        row
          .map((cell, i) => cell.padEnd(widths[i]))
          .join('  ')
          .trimEnd() + '\n'
    )
    .join('');
}

export function registerImageCommands(program: Command, deps: AppDeps): void {
  program
    .command('images')
    .description('list the images Ariel built: mode, accelerator, size, age, and whether each is current')
    .option('--project <dir>', 'only the images of this project (default: all projects)')
    .option('--json', 'print the list as JSON, with the packages each image records')
    .option('--dockerfile <image>', 'print the Dockerfile an image was built from, and nothing else')
    .option('--packages <image>', 'print the packages an image records (pip freeze format), and nothing else')
    .action(async (options: ProjectOption & { json?: boolean; dockerfile?: string; packages?: string }) => {
      if (options.dockerfile !== undefined || options.packages !== undefined) {
        const record = await imageRecord(deps, (options.dockerfile ?? options.packages)!);
        if (options.dockerfile !== undefined) {
          process.stdout.write(record.dockerfile);
          if (record.current) {
            process.stderr.write(
              record.current.diff
                ? `${record.image} is outdated; its request builds ${record.current.image} now, from this Dockerfile:\n${record.current.diff}`
                : `${record.image} is outdated: its request builds ${record.current.image} now, from the same Dockerfile but other files (requirements, requirements.lock or code).\n`
            );
          }
        } else {
          process.stdout.write(record.packages.map(p => `${p.name}==${p.version}\n`).join(''));
        }
        return;
      }
      const images = await listImages(deps, { project: projectRoot(options), withPackages: options.json });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
        return;
      }
      if (images.length === 0) {
        process.stderr.write('No images built by Ariel.\n');
        return;
      }
      process.stdout.write(
        table([
          ['IMAGE', 'MODE', 'ACCELERATOR', 'SIZE', 'CREATED', 'CURRENT', 'PROJECT'],
          ...images.map(image => [
            image.name,
            image.mode,
            image.accelerator,
            formatSize(image.size),
            formatAge(image.created),
            currentWord(image),
            image.project
          ])
        ])
      );
    });

  program
    .command('prune')
    .description('remove the images that are no longer current for their project, mode and accelerator')
    .option('--project <dir>', 'only the images of this project (default: all projects)')
    .option('--dry-run', 'print what would be removed, and remove nothing')
    .action(async (options: ProjectOption & { dryRun?: boolean }) => {
      const { removed, failed } = await pruneImages(deps, { project: projectRoot(options), dryRun: options.dryRun });
      const verb = options.dryRun ? 'Would remove' : 'Removed';
      for (const image of removed) {
        process.stdout.write(`${verb} ${image.name}\n`);
      }
      for (const { image, error } of failed) {
        process.stderr.write(`ariel: warning: kept ${image.name}: ${error.message}\n`);
      }
      if (removed.length === 0 && failed.length === 0) {
        process.stderr.write('No stale images: every image is current (or its project cannot be read).\n');
      }
    });
}
