import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { ArielError, CancelledError } from '../errors.js';

/** Where images go when no --image-repository is given: an Artifact Registry repository named "ariel". */
export function defaultRepository(projectId: string, region: string): string {
  return `${region}-docker.pkg.dev/${projectId}/ariel`;
}

/** `ariel/demo:cloud-cpu-0123456789ab` in `REPOSITORY` → `REPOSITORY/demo:cloud-cpu-0123456789ab`. */
export function remoteImage(localImage: string, repository: string): string {
  const name = localImage.replace(/^ariel\//, '');
  return `${repository.replace(/\/+$/, '')}/${name}`;
}

/** The registry host of an image reference (`host[:port]/path:tag`). */
export function registryHost(image: string): string {
  return image.split('/')[0];
}

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

/**
 * Credentials for pushing to a registry: Application Default Credentials (Google's auth library)
 * for Artifact Registry, Docker's own configuration (auths, credHelpers, credsStore) for any
 * other registry; undefined when there are none (a local registry needs none).
 */
export async function registryAuth(
  host: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<AuthConfig | undefined> {
  if (/-docker\.pkg\.dev$/.test(host)) {
    const { GoogleAuth } = await import('google-auth-library');
    let token: string | null | undefined;
    try {
      token = await new GoogleAuth({ scopes: 'https://www.googleapis.com/auth/cloud-platform' }).getAccessToken();
    } catch (error) {
      throw new ArielError(
        'push-failed',
        `No Google credentials to push to ${host}: ${(error as Error).message}`,
        'Run: gcloud auth application-default login (or set GOOGLE_APPLICATION_CREDENTIALS to a key file).'
      );
    }
    return { username: 'oauth2accesstoken', password: token ?? '', serveraddress: host };
  }
  return dockerConfigAuth(host, env);
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

async function dockerConfigAuth(host: string, env: NodeJS.ProcessEnv): Promise<AuthConfig | undefined> {
  let config: DockerConfig;
  try {
    config = JSON.parse(
      readFileSync(join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'), 'utf8')
    ) as DockerConfig;
  } catch {
    return undefined;
  }
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  if (helper) {
    const found = await credentialHelper(helper, host);
    if (found) {
      return found;
    }
  }
  const entry = config.auths?.[host] ?? config.auths?.[`https://${host}`];
  if (entry?.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: host };
  }
  if (entry?.username) {
    return { username: entry.username, password: entry.password ?? '', serveraddress: host };
  }
  return undefined;
}

/** `docker-credential-HELPER get`, as the Docker CLI asks it; undefined when it has nothing for the host. */
function credentialHelper(helper: string, host: string): Promise<AuthConfig | undefined> {
  return new Promise(resolve => {
    const child = spawn(`docker-credential-${helper}`, ['get'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', chunk => (out += String(chunk)));
    child.on('error', () => resolve(undefined));
    child.on('close', code => {
      try {
        const { Username, Secret } = JSON.parse(out) as { Username: string; Secret: string };
        resolve(code === 0 ? { username: Username, password: Secret, serveraddress: host } : undefined);
      } catch {
        resolve(undefined);
      }
    });
    child.stdin.end(host);
  });
}

/** One layer's progress while an image is pushed; `current` and `total` are bytes while it uploads. */
export type PushEvent = { type: 'push'; layer: string; status: string; current?: number; total?: number };

/** Statuses after which a layer is in the registry. */
const LAYER_DONE = /^(Pushed|Layer already exists|Mounted from)/;

export function layerDone(event: PushEvent): boolean {
  return LAYER_DONE.test(event.status);
}

/** One line on a push so far, from each layer's latest event: what a terminal or the sidebar shows. */
export function describePush(layers: Map<string, PushEvent>): string {
  const all = [...layers.values()];
  const done = all.filter(layerDone);
  const uploading = all.filter(event => event.status === 'Pushing' && event.total);
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const sent = uploading.reduce((sum, event) => sum + (event.current ?? 0), 0);
  const total = uploading.reduce((sum, event) => sum + (event.total ?? 0), 0);
  return [
    `Pushing ${all.length} layers: ${done.length} done`,
    ...(uploading.length ? [`${uploading.length} uploading (${mb(sent)} of ${mb(total)} MB)`] : []),
    ...(all.length - done.length - uploading.length > 0
      ? [`${all.length - done.length - uploading.length} waiting`]
      : [])
  ].join(', ');
}

/**
 * Tags the final image as `remote` and pushes it (only it: build stages are never tagged,
 * so never pushed). Resolves to the digest the registry gave it, `sha256:…`.
 */
export async function pushImage(
  docker: Docker,
  localImage: string,
  remote: string,
  options: { auth?: AuthConfig; signal?: AbortSignal; onEvent?: (event: PushEvent) => void } = {}
): Promise<string> {
  const colon = remote.lastIndexOf(':');
  const [repo, tag] = [remote.slice(0, colon), remote.slice(colon + 1)];
  await docker.getImage(localImage).tag({ repo, tag });
  const fail = (detail: string) =>
    new ArielError(
      'push-failed',
      `Pushing ${remote} failed: ${detail}`,
      /denied|unauthorized|authentication/i.test(detail)
        ? `Log in to ${registryHost(remote)} (docker login, or gcloud auth application-default login for Artifact Registry).`
        : `Check that the registry ${registryHost(remote)} is reachable and the repository exists.`
    );
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.getImage(repo).push({
      tag,
      authconfig: options.auth,
      abortSignal: options.signal
    } as never)) as unknown as NodeJS.ReadableStream;
  } catch (error) {
    throw fail((error as Error).message);
  }
  let digest: string | undefined;
  await new Promise<void>((resolve, reject) => {
    options.signal?.addEventListener('abort', () => reject(new CancelledError('Push cancelled.')), { once: true });
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(fail(error.message)) : resolve()),
      (message: {
        status?: string;
        id?: string;
        error?: string;
        aux?: { Digest?: string };
        progressDetail?: { current?: number; total?: number };
      }) => {
        if (message.error) {
          reject(fail(message.error));
        } else if (message.aux?.Digest) {
          digest = message.aux.Digest;
        } else if (message.id && message.status && message.status !== 'Preparing') {
          const { current, total } = message.progressDetail ?? {};
          options.onEvent?.({ type: 'push', layer: message.id, status: message.status, current, total });
        }
      }
    );
  });
  if (!digest) {
    throw fail('the registry reported no digest.');
  }
  return digest;
}

/** `REPOSITORY/NAME@sha256:…`: what jobs run, so a later push to the same tag changes nothing. */
export function imageByDigest(remote: string, digest: string): string {
  return `${remote.slice(0, remote.lastIndexOf(':'))}@${digest}`;
}
