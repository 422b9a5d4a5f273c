import type Docker from 'dockerode';
import { engineError, isNotFound } from '../docker/engine.js';
import { RECORD_DIR, RECORD_FILES } from '../dockerfile/generate.js';
import { ArielError } from '../errors.js';

/** One installed distribution, as `pip list --format=freeze` names it. */
export interface Distribution {
  name: string;
  version: string;
}

/** What an image records about itself (see RECORD_DIR): its distributions and its Dockerfile. */
export interface ImageRecord {
  /** Sorted by normalised name. */
  packages: Distribution[];
  /** The Dockerfile the image was built from. */
  dockerfile: string;
}

/** PEP 503's normalised project name: `PyYAML`, `pyyaml` and `py_yaml` are one project. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** `name==version` lines (freeze format); comments, blank lines and anything else are skipped. */
export function parseFreeze(text: string): Distribution[] {
  const packages = new Map<string, Distribution>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*===?\s*([^\s;#]+)/.exec(line);
    if (match) {
      packages.set(normalizeName(match[1]), { name: match[1], version: match[2] });
    }
  }
  return [...packages.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, d]) => d);
}

/** Freeze-format text of a list, one `name==version` per line. */
export function formatFreeze(packages: Distribution[]): string {
  return packages.map(p => `${p.name}==${p.version}\n`).join('');
}

/**
 * Records by image id: an image's content never changes, so each is read once per process.
 * (Not by name: a `--no-cache` rebuild gives a tag another image.)
 */
const records = new Map<string, Promise<ImageRecord | null>>();

/**
 * An image's record, or null for an image built before images recorded themselves.
 *
 * Read without running anything: a container is created (not started), the record folder is
 * copied out of it as a tar archive, and the container is removed. That is two cheap engine
 * calls, works on images without a shell or `cat`, and needs no network or kernel process; a
 * label could not hold the list (labels are set before the build knows it, and are meant to be small).
 */
export async function readImageRecord(docker: Docker, image: string): Promise<ImageRecord | null> {
  let id: string;
  try {
    id = (await docker.getImage(image).inspect()).Id;
  } catch (error) {
    if (isNotFound(error)) {
      throw new ArielError('not-found', `No image ${image} on this Docker engine.`, 'List them with: ariel images');
    }
    throw engineError(docker, error);
  }
  if (!records.has(id)) {
    const reading = readRecordOf(docker, id);
    records.set(id, reading);
    reading.catch(() => records.delete(id));
  }
  return records.get(id)!;
}

async function readRecordOf(docker: Docker, id: string): Promise<ImageRecord | null> {
  let container: Docker.Container;
  try {
    // Never started: the entrypoint is only there because an image may have none.
    container = await docker.createContainer({ Image: id, Entrypoint: ['/bin/true'], Cmd: [], NetworkDisabled: true });
  } catch (error) {
    throw engineError(docker, error);
  }
  try {
    let archive: NodeJS.ReadableStream;
    try {
      archive = await container.getArchive({ path: `${RECORD_DIR}/.` });
    } catch (error) {
      if (isNotFound(error)) {
        return null;
      }
      throw engineError(docker, error);
    }
    const files = readTar(await collect(archive));
    const packages = files.get(RECORD_FILES.packages);
    const dockerfile = files.get(RECORD_FILES.dockerfile);
    return packages === undefined || dockerfile === undefined ? null : { packages: parseFreeze(packages), dockerfile };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The regular files of an uncompressed tar archive, by their base name. Enough for the engine's
 * archives of a small folder; extended headers and other entries are skipped by their size.
 */
export function readTar(tar: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every(byte => byte === 0)) {
      break;
    }
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const body = offset + 512;
    if (type === '' || type === '0') {
      files.set(name.replace(/^.*\//, ''), tar.subarray(body, body + size).toString('utf8'));
    }
    offset = body + Math.ceil(size / 512) * 512;
  }
  return files;
}
