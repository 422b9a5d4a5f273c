import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The real engine's socket (DOCKER_HOST when it names a unix socket). */
function engineSocket(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req
      .on('data', chunk => chunks.push(chunk))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
}

export interface CreatedContainer {
  labels: Record<string, string>;
  deviceRequests: unknown[] | null;
}

/**
 * A Docker engine that claims a GPU, for machines without one: a proxy on a unix socket in
 * front of the real engine that reports an NVIDIA runtime, records the device requests of
 * every container created through it, and drops them before passing the request on, so
 * the containers run on the CPU. Point DOCKER_HOST at `host`.
 */
export class GpuEngine {
  readonly created: CreatedContainer[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'ariel-gpu-engine-'));
  readonly socket = join(this.dir, 'docker.sock');
  readonly host = `unix://${this.socket}`;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      // Headers go out at once: a client may wait for them (e.g. of a wait request) before its next call.
      const writeHead = (status: number, headers: NodeJS.Dict<string | string[]>) =>
        res.writeHead(status, headers).flushHeaders();
      void this.forward(req, writeHead, res).catch(error => {
        res.writeHead(502).end(String(error));
      });
    });
    // Attach with stdin (a shell) hijacks the connection: from there on, bytes both ways. The
    // request's body (dockerode repeats the query in it) is dropped: sent on after the headers
    // in a separate packet, the engine would take it for the shell's first input.
    this.server.on('upgrade', (req: IncomingMessage, client, head: Buffer) => {
      let skip = Number(req.headers['content-length'] ?? 0);
      const headers = Object.entries(req.headers)
        .filter(([name]) => name !== 'content-length')
        .map(([name, value]) => `${name}: ${String(value)}\r\n`);
      const upstream = connect(engineSocket(), () => {
        upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('')}\r\n`);
        const forward = (chunk: Buffer) => {
          const body = Math.min(skip, chunk.length);
          skip -= body;
          if (chunk.length > body) {
            upstream.write(chunk.subarray(body));
          }
        };
        forward(head);
        client.on('data', forward).on('end', () => upstream.end());
        upstream.pipe(client).on('error', () => undefined);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  }

  listen(): Promise<void> {
    return new Promise(resolve => this.server.listen(this.socket, resolve));
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async forward(
    req: IncomingMessage,
    writeHead: (status: number, headers: NodeJS.Dict<string | string[]>) => unknown,
    res: NodeJS.WritableStream
  ): Promise<void> {
    let body = await readBody(req);
    const path = req.url!.replace(/^\/v[\d.]+/, '');
    if (req.method === 'POST' && path.startsWith('/containers/create')) {
      const create = JSON.parse(body.toString()) as {
        Labels?: Record<string, string>;
        HostConfig?: { DeviceRequests?: unknown[] | null };
      };
      this.created.push({ labels: create.Labels ?? {}, deviceRequests: create.HostConfig?.DeviceRequests ?? null });
      if (create.HostConfig) {
        delete create.HostConfig.DeviceRequests;
      }
      body = Buffer.from(JSON.stringify(create));
    }
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      request({ socketPath: engineSocket(), path: req.url, method: req.method, headers }, resolve)
        .on('error', reject)
        .end(body);
    });
    if (req.method === 'GET' && path === '/info') {
      const info = JSON.parse((await readBody(upstream)).toString()) as { Runtimes?: Record<string, unknown> };
      info.Runtimes = { ...info.Runtimes, nvidia: { path: 'nvidia-container-runtime' } };
      const text = JSON.stringify(info);
      const headers = { ...upstream.headers, 'content-length': String(Buffer.byteLength(text)) };
      delete headers['transfer-encoding'];
      writeHead(upstream.statusCode!, headers);
      res.end(text);
      return;
    }
    writeHead(upstream.statusCode!, upstream.headers);
    upstream.pipe(res);
  }
}
