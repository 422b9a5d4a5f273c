import { execFileSync, spawnSync } from 'node:child_process';
import { LABELS } from '../docker/labels.js';
import { imageNameOf } from '../project/project.js';

/** Tags of the images Ariel built for the project in `root`. */
export function imagesOf(root: string): string[] {
  return execFileSync(
    'docker',
    ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${imageNameOf({ root })}`],
    {
      encoding: 'utf8'
    }
  )
    .split('\n')
    .filter(Boolean);
}

/** Untags what tests built for their temporary projects; layers that other images use stay. */
export function removeImagesOf(...roots: string[]): void {
  const refs = roots.flatMap(imagesOf);
  if (refs.length > 0) {
    spawnSync('docker', ['rmi', '--force', ...refs], { stdio: 'ignore' });
  }
}

/** Containers of Ariel's kernels, running or not. */
export function kernelContainers(): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABELS.role}=kernel`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** Ids of the untagged images on the engine now. */
export function danglingImages(): Set<string> {
  return new Set(
    execFileSync('docker', ['images', '-q', '--no-trunc', '--filter', 'dangling=true'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
  );
}

/**
 * Removes untagged images (the intermediate stages of multi-stage builds) that were not there
 * before and were created since `since` (ms): other suites on the engine may be building.
 */
export function removeDanglingSince(since: number, before: Set<string>): void {
  for (const id of danglingImages()) {
    if (before.has(id)) {
      continue;
    }
    const inspected = spawnSync('docker', ['image', 'inspect', '--format', '{{.Created}}', id], { encoding: 'utf8' });
    if (inspected.status === 0 && Date.parse(inspected.stdout.trim()) >= since - 5_000) {
      spawnSync('docker', ['rmi', id], { stdio: 'ignore' });
    }
  }
}
