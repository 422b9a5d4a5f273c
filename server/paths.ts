import type { posix } from 'node:path';
import * as native from 'node:path';
import { relative, sep } from 'node:path';

type PathApi = Pick<typeof posix, 'relative' | 'isAbsolute' | 'sep'>;

/**
 * Whether `path` is `root` itself or lies inside it, judged by the names alone: links are not
 * followed (give real paths where a link could lead out). A name that only begins with two dots
 * (`..data`) is inside. `paths` is `node:path` by default; `posix` for paths inside a container.
 * The one check of its kind: the companion's request paths, project files, includes, targets
 * and mounts all go through it.
 */
export function isInside(root: string, path: string, paths: PathApi = native): boolean {
  const rel = paths.relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${paths.sep}`) && !paths.isAbsolute(rel));
}

/** `path` relative to `root` with forward slashes, as the wire and the sidebar show paths ("" for the root). */
export function relativeTo(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
