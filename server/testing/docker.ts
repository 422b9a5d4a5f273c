import { execFileSync, spawnSync } from 'node:child_process';
import { imageNameOf } from '../project/project.js';
import { LABELS } from '../docker/labels.js';
import { SPARE_PREFIX } from '../kernels/container.js';

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

/**
 * Ids of Ariel's containers (running or not) for the projects in `roots`: a test's temporary
 * project is its run id, so other tests and users of the engine are never counted.
 */
export function containersOf(role: 'kernel' | 'run' | 'shell', ...roots: string[]): string[] {
  return roots.flatMap(root =>
    execFileSync(
      'docker',
      [
        'ps',
        '-aq',
        '--no-trunc',
        '--filter',
        `label=${LABELS.role}=${role}`,
        '--filter',
        `label=${LABELS.project}=${root}`
      ],
      { encoding: 'utf8' }
    )
      .split('\n')
      .filter(Boolean)
  );
}

/** Kernel containers of the projects in `roots`, without the warm pool's spares (all of them: `containersOf`). */
export function kernelContainers(...roots: [string, ...string[]]): string[] {
  const spares = new Set(spareKernels(...roots));
  return containersOf('kernel', ...roots).filter(id => !spares.has(id));
}

/** The companion server's spare kernel containers for the projects in `roots`, not yet handed out. */
export function spareKernels(...roots: [string, ...string[]]): string[] {
  return roots.flatMap(root =>
    execFileSync(
      'docker',
      ['ps', '-aq', '--no-trunc', '--filter', `label=${LABELS.project}=${root}`, '--filter', `name=^/?${SPARE_PREFIX}`],
      { encoding: 'utf8' }
    )
      .split('\n')
      .filter(Boolean)
  );
}

/** A label of a container, e.g. its launcher's pid. */
export function labelOf(container: string, label: string): string {
  return execFileSync('docker', ['inspect', '--format', `{{ index .Config.Labels "${label}" }}`, container], {
    encoding: 'utf8'
  }).trim();
}

/** Whether the container still exists (running or not). */
export function containerExists(id: string): boolean {
  return spawnSync('docker', ['inspect', '--type', 'container', id], { stdio: 'ignore' }).status === 0;
}

/** Whether the engine can give containers a GPU (tests of the GPU-less path skip then). */
export function engineHasGpu(): boolean {
  const runtimes = execFileSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' });
  return /"nvidia"/.test(runtimes);
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
