import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { ProjectConfig } from '../project/config.js';
import { isNotFound } from './engine.js';

/** How many processes one of Ariel's containers may hold, unless the project's `run.pids_limit` says otherwise. */
export const DEFAULT_PIDS_LIMIT = 4096;

/**
 * What every container Ariel starts gets (kernels, spares, runs, shells, probes): no Linux
 * capabilities at all (none of Ariel's features needs one, so none is added back), no privilege
 * gained through setuid or file-capability programs, and a bounded number of processes, so a fork
 * bomb stops at the container instead of the host's limit.
 */
export function confinement(pidsLimit: number = DEFAULT_PIDS_LIMIT): {
  CapDrop: string[];
  SecurityOpt: string[];
  PidsLimit: number;
} {
  return { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], PidsLimit: pidsLimit };
}

/** `NAME=value` for each configured variable the host has; values are read at run time only. */
export function passthroughEnv(config: ProjectConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  return config.env.filter(name => env[name] !== undefined).map(name => `${name}=${env[name]}`);
}

/** A stream that writes each line to `target` with a prefix, keeping partial lines until they end. */
export function prefixLines(prefix: string, target: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        target.write(`${prefix}${line}\n`);
      }
      done();
    },
    final(done) {
      if (pending) {
        target.write(`${prefix}${pending}\n`);
      }
      done();
    }
  });
}

export interface RunIO {
  stdout: Writable;
  stderr: Writable;
  /** Fed to the container's standard input; the container must have OpenStdin and StdinOnce. */
  stdin?: NodeJS.ReadableStream;
  /** Called once the container runs, e.g. to size its terminal. */
  onStart?: (container: Docker.Container) => void;
  signal?: AbortSignal;
}

/**
 * Creates a container, streams its output, waits for it and removes it: on exit, on error
 * and on abort alike, so no container is left behind. Resolves to the exit code.
 * The container is confined (see `confinement`) unless its HostConfig says otherwise.
 */
export async function runToCompletion(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
  io: RunIO
): Promise<number> {
  const container = await docker.createContainer({
    ...options,
    HostConfig: { ...confinement(), ...options.HostConfig }
  });
  const remove = () =>
    container.remove({ force: true }).catch(error => (isNotFound(error) ? undefined : Promise.reject(error)));
  const onAbort = () => void remove();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stream = await container.attach({
      stream: true,
      stdout: true,
      stderr: true,
      stdin: !!io.stdin,
      hijack: !!io.stdin
    });
    const ended = new Promise<void>(resolve => stream.on('end', resolve).on('close', resolve));
    if (options.Tty) {
      stream.pipe(io.stdout, { end: false });
    } else {
      docker.modem.demuxStream(stream, io.stdout, io.stderr);
    }
    await container.start();
    io.onStart?.(container);
    // Ending the hijacked socket's write side closes the container's stdin.
    io.stdin?.pipe(stream);
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await ended;
    return StatusCode;
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    await remove();
  }
}
