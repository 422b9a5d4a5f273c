import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebStream } from 'node:stream/web';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

// A project whose .ariel.json names a pip index with a user and password, served by a proxy
// in this test that demands exactly that basic auth in front of the machine's index (or pip's
// default one). Nothing of the password may reach an image (any layer's files, its history, its
// config) or Ariel's output, including a failing build's log.

const USER = 'ariel-user';
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const UPSTREAM = upstreamIndex();

/** The index builds use here: the set-up's local one, else pip's own default index. */
function upstreamIndex(): URL {
  if (process.env.ARIEL_PIP_INDEX_URL) {
    return new URL(process.env.ARIEL_PIP_INDEX_URL);
  }
  const pipDefault = execFileSync('python3', [
    '-c',
    'from pip._internal.models.index import PyPI; print(PyPI.simple_url)'
  ]);
  return new URL(pipDefault.toString().trim());
}

let proxy: Server;
let authorized = 0;
const roots: string[] = [];

/** Forwards every request to the upstream index's host, once it carries the right basic auth. */
async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  if (request.headers.authorization !== expected) {
    response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="index"' }).end();
    return;
  }
  authorized++;
  try {
    const upstream = await fetch(new URL(request.url ?? '/', UPSTREAM.origin), {
      headers: { accept: request.headers.accept ?? '*/*' }
    });
    const type = upstream.headers.get('content-type');
    response.writeHead(upstream.status, type ? { 'content-type': type } : {});
    if (upstream.body) {
      Readable.fromWeb(upstream.body as WebStream).pipe(response);
    } else {
      response.end();
    }
  } catch (error) {
    response.writeHead(502).end(String(error));
  }
}

/** The index URL with credentials: the upstream's path on the proxy's loopback port. */
function credentialedIndex(): string {
  const { port } = proxy.address() as { port: number };
  return `http://${USER}:${PASSWORD}@127.0.0.1:${port}${UPSTREAM.pathname}`;
}

function project(files: Record<string, string>): string {
  const root = tempProject(
    {
      ...files,
      // The proxy is on loopback, so the build shares the host's network.
      '.ariel.json': JSON.stringify({ build: { network: 'host', pip_index_url: credentialedIndex() } })
    },
    `secret-${randomBytes(4).toString('hex')}`
  );
  roots.push(root);
  return root;
}

/** The CLI with only the project's index: no extra index that could serve packages without the proxy. */
function build(root: string, mode: string): Promise<CliResult> {
  return runCli(['build', '--mode', mode], {
    cwd: root,
    env: { ARIEL_PIP_EXTRA_INDEX_URL: undefined, ARIEL_CONFIG_DIR: tempProject({}) }
  });
}

function assertNoPassword(text: string, where: string): void {
  assert.ok(!text.includes(PASSWORD), `the password is in ${where}`);
}

/**
 * Saves the image and searches all of it: the archive as it is (manifests, the image config
 * with its history, uncompressed layers) and every layer decompressed, file by file.
 */
function assertImageClean(image: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-save-'));
  try {
    const archive = join(dir, 'image.tar');
    execFileSync('docker', ['save', '-o', archive, image]);
    assertNoPassword(readFileSync(archive).toString('latin1'), `the saved archive of ${image}`);
    const extracted = join(dir, 'x');
    execFileSync('mkdir', [extracted]);
    execFileSync('tar', ['-xf', archive, '-C', extracted]);
    let layers = 0;
    for (const file of walk(extracted)) {
      let bytes = readFileSync(file);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        bytes = gunzipSync(bytes);
      }
      assertNoPassword(bytes.toString('latin1'), `${file} of the saved ${image}`);
      if (isTar(bytes)) {
        layers++;
        const names = execFileSync('tar', ['-tf', '-'], { input: bytes, maxBuffer: 1 << 30 }).toString();
        assert.ok(!/(^|\/)\.ariel\.json$/m.test(names), `a layer of ${image} holds .ariel.json`);
      }
    }
    assert.ok(layers > 0, `no layer found in the saved ${image}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assertNoPassword(execFileSync('docker', ['history', '--no-trunc', image]).toString(), `the history of ${image}`);
  assertNoPassword(execFileSync('docker', ['image', 'inspect', image]).toString(), `the config of ${image}`);
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      yield* walk(path);
    } else {
      yield path;
    }
  }
}

/** A POSIX tar archive has "ustar" at offset 257 of its first header. */
function isTar(bytes: Buffer): boolean {
  return bytes.length > 512 && bytes.subarray(257, 262).toString('latin1') === 'ustar';
}

before(async () => {
  proxy = createServer((request, response) => void serve(request, response));
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  removeImagesOf(...roots);
  removeTempProjects();
  await new Promise(resolve => proxy.close(resolve));
});

describe('an index URL with a password in .ariel.json', () => {
  for (const mode of ['run', 'cloud']) {
    it(`builds a ${mode} image through the authenticated index, with the password nowhere in it or the output`, async () => {
      const root = project({ 'requirements.txt': 'six\n', 'main.py': 'import six\n' });
      const result = await build(root, mode);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      // The cloud image reuses the run image's dependency layers, so only the first build asks the index.
      assert.ok(authorized > 0, 'pip never used the authenticated index');
      const output = result.stdout + result.stderr;
      assertNoPassword(output, 'the CLI output');
      // Warned once, naming the file and the safer place.
      const warnings = result.stderr.split('\n').filter(line => line.startsWith('ariel: warning:'));
      assert.equal(warnings.length, 1, result.stderr);
      assert.ok(warnings[0].includes(join(root, '.ariel.json')) && warnings[0].includes('user config'), warnings[0]);
      assertImageClean(result.stdout.trim().split('\n').pop()!);
    });
  }

  it('keeps the password out of a failing build log: a requirement that does not exist', async () => {
    const root = project({ 'requirements.txt': `ariel-no-such-package-${randomBytes(4).toString('hex')}\n` });
    const result = await build(root, 'run');
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, /ariel-no-such-package/);
    assert.ok(!result.stderr.includes('unexpected error'), result.stderr);
    assertNoPassword(result.stdout + result.stderr, 'the failed build output');
  });

  it("redacts the index URL that a failing package build prints into Ariel's log", async () => {
    // pip hides passwords in its own messages; a package's build script does not.
    const root = project({
      'setup.py': [
        'import os, sys',
        'sys.stderr.write("index is " + os.environ.get("PIP_INDEX_URL", "unset") + "\\n")',
        'sys.exit(3)',
        ''
      ].join('\n')
    });
    const result = await build(root, 'run');
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    assertNoPassword(result.stdout + result.stderr, 'the failed build output');
    assert.ok(!result.stderr.includes('unexpected error'), result.stderr);
    assert.match(result.stderr, /index is \*\*\*/, 'the build log does not show the redacted line');
  });
});
