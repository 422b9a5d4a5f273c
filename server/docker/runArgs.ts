import { ArielError } from '../errors.js';
import type { RunConfig } from '../project/config.js';

/**
 * Caliban's `--docker_run_args`: the `docker run` flags that map onto Ariel's run-time settings,
 * turned into those settings. Any other flag is refused by name, so nothing reaches the engine
 * that Ariel does not know about (a `--privileged`, a `--cap-add`, a `--network`).
 */

/** Settings a `docker run` command line gives, beyond the `"run"` keys: variables and published ports. */
export type DockerRunSettings = RunConfig & { env?: string[]; ports?: string[] };

/** The flags taken, as `docker run` spells them. */
export const DOCKER_RUN_FLAGS = [
  '-v/--volume',
  '--mount',
  '--shm-size',
  '--ipc',
  '--gpus',
  '-e/--env',
  '-p/--publish',
  '--cpus',
  '-m/--memory',
  '--pids-limit'
] as const;

const LONG: Record<string, string> = { '-v': '--volume', '-e': '--env', '-p': '--publish', '-m': '--memory' };

/** Splits a command line as a POSIX shell does for words: quotes and backslashes, no expansion. */
export function splitWords(text: string, origin: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) {
        quote = undefined;
      } else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (/\s/.test(c)) {
      if (word !== undefined) {
        words.push(word);
        word = undefined;
      }
    } else if (c === '"' || c === "'") {
      quote = c;
      word = word ?? '';
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) {
    throw new ArielError(
      'config-invalid',
      `${origin}: docker run arguments end inside a ${quote === '"' ? 'double' : 'single'} quote: ${text}`,
      'Close the quote.'
    );
  }
  if (word !== undefined) {
    words.push(word);
  }
  return words;
}

function refuse(origin: string, problem: string, hint?: string): never {
  throw new ArielError(
    'config-invalid',
    `${origin}: ${problem}`,
    hint ?? `Ariel takes these docker run flags: ${DOCKER_RUN_FLAGS.join(', ')}.`
  );
}

/** `SRC:DST[:ro|rw]` as `-v` writes it: read-write unless `ro`, as in Docker. */
function volume(value: string, origin: string): { source: string; target: string; readonly: boolean } {
  const parts = value.split(':');
  const options = parts.length === 3 ? parts[2].split(',') : [];
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1] || options.some(o => !['ro', 'rw'].includes(o))) {
    refuse(origin, `--volume "${value}" is not SOURCE:TARGET[:ro|rw].`, 'Write a host path and a container path.');
  }
  return { source: parts[0], target: parts[1], readonly: options.includes('ro') };
}

/** `--mount type=bind,source=S,target=T[,readonly]`, the bind form only. */
function mount(value: string, origin: string): { source: string; target: string; readonly: boolean } {
  const fields = new Map<string, string>();
  for (const field of value.split(',')) {
    const at = field.indexOf('=');
    fields.set(at < 0 ? field : field.slice(0, at), at < 0 ? 'true' : field.slice(at + 1));
  }
  const type = fields.get('type') ?? 'volume';
  const source = fields.get('source') ?? fields.get('src');
  const target = fields.get('target') ?? fields.get('destination') ?? fields.get('dst');
  if (type !== 'bind' || !source || !target) {
    refuse(
      origin,
      `--mount "${value}" is not a bind mount with a source and a target.`,
      'Write --mount type=bind,source=HOST_PATH,target=CONTAINER_PATH[,readonly].'
    );
  }
  const readonly = fields.get('readonly') ?? fields.get('ro') ?? 'false';
  return { source, target, readonly: readonly === 'true' || readonly === '1' };
}

/** `--gpus all`, `--gpus 2`, `--gpus device=0,1` (quoted or not). */
function gpus(value: string, origin: string): RunConfig['gpus'] {
  const text = value.replace(/^"(.*)"$/, '$1');
  if (text === 'all') {
    return 'all';
  }
  if (/^[1-9]\d*$/.test(text)) {
    return Number(text);
  }
  const devices = /^device=([A-Za-z0-9-]+(?:,[A-Za-z0-9-]+)*)$/.exec(text);
  if (devices) {
    return devices[1].split(',');
  }
  return refuse(
    origin,
    `--gpus "${value}" is not all, a count or device=IDS.`,
    'Write --gpus all, --gpus 2 or --gpus device=0,1.'
  );
}

/**
 * The settings `text` (a `docker run` argument string, as Caliban's `--docker_run_args` takes it)
 * gives. `-e NAME` without a value takes NAME's value from `env`, as docker does.
 */
export function parseDockerRunArgs(
  text: string,
  origin: string,
  env: NodeJS.ProcessEnv = process.env
): DockerRunSettings {
  const settings: DockerRunSettings = {};
  const words = splitWords(text, origin);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!word.startsWith('-')) {
      refuse(origin, `"${word}" in docker run arguments is not a flag (an image or a command is not taken here).`);
    }
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    let flag = eq < 0 ? word : word.slice(0, eq);
    let value: string | undefined = eq < 0 ? undefined : word.slice(eq + 1);
    // Short flags may carry their value: -v/a:/b, -e=X, -m4g.
    if (/^-[a-z]./.test(word)) {
      flag = word.slice(0, 2);
      value = word.slice(2).replace(/^=/, '');
    }
    flag = LONG[flag] ?? flag;
    const known = [
      '--volume',
      '--mount',
      '--shm-size',
      '--ipc',
      '--gpus',
      '--env',
      '--publish',
      '--cpus',
      '--memory',
      '--pids-limit'
    ];
    if (!known.includes(flag)) {
      refuse(origin, `docker run flag ${word.split('=')[0]} is not one Ariel takes.`);
    }
    if (value === undefined) {
      if (i + 1 >= words.length) {
        refuse(origin, `docker run flag ${flag} needs a value.`);
      }
      value = words[++i];
    }
    switch (flag) {
      case '--volume':
        (settings.mounts ??= []).push(volume(value, origin));
        break;
      case '--mount':
        (settings.mounts ??= []).push(mount(value, origin));
        break;
      case '--shm-size':
        settings.shm_size = value;
        break;
      case '--ipc':
        if (value !== 'host' && value !== 'private') {
          refuse(origin, `--ipc "${value}" is not host or private.`, 'Write --ipc host or --ipc private.');
        }
        settings.ipc = value;
        break;
      case '--gpus':
        settings.gpus = gpus(value, origin);
        break;
      case '--env': {
        const at = value.indexOf('=');
        const name = at < 0 ? value : value.slice(0, at);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          refuse(
            origin,
            `--env "${value}" does not start with a variable name.`,
            'Write --env NAME=value or --env NAME.'
          );
        }
        if (at >= 0) {
          (settings.env ??= []).push(value);
        } else if (env[name] !== undefined) {
          (settings.env ??= []).push(`${name}=${env[name]}`);
        }
        break;
      }
      case '--publish':
        if (!/^(?:(?:\d{1,3}(?:\.\d{1,3}){3}):)?(?:\d+:)?\d+(?:\/(?:tcp|udp))?$/.test(value)) {
          refuse(
            origin,
            `--publish "${value}" is not [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp].`,
            'Write --publish 8080:8080.'
          );
        }
        (settings.ports ??= []).push(value);
        break;
      case '--cpus': {
        const cpus = Number(value);
        if (!(cpus > 0)) {
          refuse(origin, `--cpus "${value}" is not a positive number.`, 'Write --cpus 2 or --cpus 1.5.');
        }
        settings.cpus = cpus;
        break;
      }
      case '--memory':
        settings.memory = value;
        break;
      case '--pids-limit': {
        const limit = Number(value);
        if (!Number.isInteger(limit) || limit < -1) {
          refuse(origin, `--pids-limit "${value}" is not a whole number (-1 for none).`, 'Write --pids-limit 1024.');
        }
        settings.pids_limit = limit === 0 ? -1 : limit;
        break;
      }
    }
  }
  return settings;
}
