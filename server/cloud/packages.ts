import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { runToCompletion } from '../docker/containers.js';
import { readImageRecord } from '../drift/record.js';

/**
 * The Python distributions installed in an image and their versions, as pip inside it lists them:
 * what the history keeps so that a result can name its exact environment.
 * The image's own record is read when it has one (no container runs); older images are asked
 * with pip. An image without pip gives an empty map rather than an error.
 */
export async function packageVersions(
  docker: Docker,
  image: string,
  signal?: AbortSignal
): Promise<Record<string, string>> {
  const record = await readImageRecord(docker, image).catch(() => null);
  if (record) {
    return Object.fromEntries(record.packages.map(p => [p.name, p.version]));
  }
  let out = '';
  const stdout = new PassThrough().on('data', chunk => (out += String(chunk)));
  const exitCode = await runToCompletion(
    docker,
    {
      Image: image,
      Entrypoint: [],
      Cmd: ['python', '-m', 'pip', 'list', '--format=json', '--disable-pip-version-check']
    },
    { stdout, stderr: new PassThrough().resume(), signal }
  );
  if (exitCode !== 0) {
    return {};
  }
  try {
    const list = JSON.parse(out) as { name: string; version: string }[];
    return Object.fromEntries(list.map(p => [p.name, p.version]));
  } catch {
    return {};
  }
}
