import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const created: string[] = [];

/**
 * Writes a throwaway project folder and returns its absolute (symlink-free) path.
 * Keys are paths relative to the folder, with forward slashes; parent folders are created.
 * A key ending in "/" creates an empty folder. With `name`, the project is a folder of that
 * name inside a fresh temporary folder, so names derived from it (e.g. the image's) are fixed.
 * Call removeTempProjects() (e.g. in an `after` hook) to delete everything made here.
 */
export function tempProject(files: Record<string, string>, name?: string): string {
  const parent = realpathSync(mkdtempSync(join(tmpdir(), 'ariel-test-')));
  created.push(parent);
  const root = name ? join(parent, name) : parent;
  mkdirSync(root, { recursive: true });
  writeFiles(root, files);
  return root;
}

/** Writes (or overwrites) files inside an existing folder, as tempProject does. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, ...path.split('/'));
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

/** Deletes every folder tempProject() created in this process. */
export function removeTempProjects(): void {
  for (const dir of created.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
}
