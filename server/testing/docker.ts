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
