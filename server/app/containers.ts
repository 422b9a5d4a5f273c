import type Docker from 'dockerode';
import { ArielError } from '../errors.js';
import { engineError, enginePathPart, isNotFound } from '../docker/engine.js';
import { ImageRef } from '../docker/imageRef.js';
import { LABELS, labelFilter, ROLES, type Role } from '../docker/labels.js';
import { SPARE_PREFIX } from '../kernels/container.js';
import type { AppDeps } from './deps.js';

/** A container Ariel started; plain data, ready for JSON. */
export interface ContainerInfo {
  id: string;
  /** The engine's name, without the leading slash. */
  name: string;
  role: Role;
  /**
   * A spare of the companion server's warm pool: a kernel container waiting to become the next
   * kernel started from its image, not a kernel anyone uses yet.
   */
  spare: boolean;
  /** Root folder of the project, where the container has one. */
  project?: string;
  /** `repository:tag` of its image. */
  image: string;
  /** Mode and accelerator, when the image is one of Ariel's content-hash tags. */
  mode?: ImageRef['mode'];
  accelerator?: ImageRef['accelerator'];
  /** The engine's state: created, running, exited, ... */
  state: string;
  /** The engine's words, e.g. "Up 3 minutes". */
  status: string;
  /** ISO 8601. */
  created: string;
}

export interface ContainerFilter {
  /** Only containers of the project with this root folder. */
  project?: string;
  role?: Role;
}

/** Ariel's containers (found by their role label), running or not, newest first. */
export async function listContainers(deps: AppDeps, filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
  const label = [labelFilter(LABELS.role, filter.role)];
  if (filter.project) {
    label.push(labelFilter(LABELS.project, filter.project));
  }
  let containers: Docker.ContainerInfo[];
  try {
    containers = await deps.docker.listContainers({ all: true, filters: { label } });
  } catch (error) {
    throw engineError(deps.docker, error);
  }
  return containers
    .map(c => {
      const ref = ImageRef.parse(c.Image);
      const name = (c.Names[0] ?? '').replace(/^\//, '');
      const role = c.Labels[LABELS.role] as Role;
      return {
        id: c.Id,
        name,
        role,
        spare: role === 'kernel' && name.startsWith(SPARE_PREFIX),
        project: c.Labels[LABELS.project] || undefined,
        image: c.Image,
        mode: ref?.mode,
        accelerator: ref?.accelerator,
        state: c.State,
        status: c.Status,
        created: new Date(c.Created * 1000).toISOString()
      };
    })
    .filter(c => ROLES.includes(c.role))
    .sort((a, b) => b.created.localeCompare(a.created));
}

/**
 * Stops one of Ariel's containers (a few seconds' grace, then killed) and removes it. Whoever
 * started it sees it exit: a run reports the job as failed, a kernel's launcher ends the kernel.
 * An id that is not an Ariel container is refused, so nothing else can be stopped this way.
 */
export async function stopContainer(deps: AppDeps, id: string): Promise<void> {
  const container = deps.docker.getContainer(enginePathPart(id));
  const notFound = new ArielError(
    'not-found',
    `No container of Ariel's has the id ${id}.`,
    "List Ariel's containers to see their ids."
  );
  let labels: Record<string, string>;
  try {
    labels = (await container.inspect()).Config.Labels ?? {};
  } catch (error) {
    throw isNotFound(error) ? notFound : engineError(deps.docker, error);
  }
  if (!ROLES.includes(labels[LABELS.role] as Role)) {
    throw notFound;
  }
  // Either step may find the container gone already: its owner removes it when it exits.
  const gone = (error: unknown) => {
    const status = (error as { statusCode?: number }).statusCode;
    return isNotFound(error) || status === 304 || status === 409;
  };
  await container
    .stop({ t: 5 })
    .catch(error => (gone(error) ? undefined : Promise.reject(engineError(deps.docker, error))));
  await container
    .remove({ force: true })
    .catch(error => (gone(error) ? undefined : Promise.reject(engineError(deps.docker, error))));
}
