import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { runToCompletion } from '../docker/containers.js';

/**
 * The Python distributions installed in an image and their versions, as pip inside it lists them:
 * what the history keeps so that a result can name its exact environment.
 * An image without pip gives an empty map rather than an error.
 */
export async function packageVersions(
  docker: Docker,
  image: string,
  signal?: AbortSignal
): Promise<Record<string, string>> {
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
