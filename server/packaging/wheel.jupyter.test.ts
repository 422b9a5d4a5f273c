import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { JupyterServer } from '../testing/jupyter.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Runs a command of the fresh environment, as a user would after installing the wheel: its
 * bin/ first on PATH, not activated, from a folder outside the checkout. Output is stdout and
 * stderr together, without colours.
 */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(command, args, {
    cwd: tmpdir(),
    env: { ...process.env, VIRTUAL_ENV: undefined, PIP_RETRIES: '0', NO_COLOR: '1', ...env },
    maxBuffer: 64 * 1024 * 1024
  });
  // eslint-disable-next-line no-control-regex
  return `${stdout}${stderr}`.replace(/\u001b\[[0-9;]*m/g, '');
}

describe('the wheel, installed into a fresh virtual environment', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ariel-wheel-'));
  const venv = join(scratch, 'venv');
  const bin = (name: string) => join(venv, 'bin', name);
  const withVenv = { PATH: `${join(venv, 'bin')}:${process.env.PATH}` };
  const project = join(scratch, 'project');
  let sitePackages = '';

  before(async () => {
    const wheels = join(scratch, 'wheels');
    await run('python3', ['-m', 'pip', 'wheel', '--no-deps', '--disable-pip-version-check', '-w', wheels, REPO]);
    const [wheel] = readdirSync(wheels);
    assert.match(wheel, /^jupyterlab_ariel-.+\.whl$/);
    await run('python3', ['-m', 'venv', venv]);
    // Its dependencies (JupyterLab) from the configured index, as any user's pip would.
    await run(bin('python'), ['-m', 'pip', 'install', '--disable-pip-version-check', join(wheels, wheel)]);
    sitePackages = (await run(bin('python'), ['-c', 'import sysconfig; print(sysconfig.get_path("purelib"))'])).trim();
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('carries the prebuilt JupyterLab extension, enabled', async () => {
    const listed = await run(bin('jupyter'), ['labextension', 'list'], withVenv);
    assert.match(listed, /jupyterlab-ariel v\S+ enabled\s+OK \(python, jupyterlab[-_]ariel\)/, listed);
  });

  it('enables the server extension', async () => {
    const listed = await run(bin('jupyter'), ['server', 'extension', 'list'], withVenv);
    assert.match(listed, /jupyterlab_ariel enabled/, listed);
    assert.match(listed, new RegExp(`jupyterlab_ariel ${VERSION.replace(/\./g, '\\.')} OK`), listed);
  });

  it('has an ariel command that runs the bundled CLI', async () => {
    assert.equal((await run(bin('ariel'), ['--version'])).trim(), VERSION);
  });

  it('installs kernelspecs that point into the installed package', async () => {
    const output = await run(bin('ariel'), ['kernels', 'install', '--sys-prefix']);
    assert.doesNotMatch(output, /not in that Jupyter environment/);
    const spec = JSON.parse(
      readFileSync(join(venv, 'share', 'jupyter', 'kernels', 'ariel-cpu', 'kernel.json'), 'utf8')
    );
    assert.equal(
      spec.argv[1],
      join(sitePackages, 'jupyterlab_ariel', 'node', 'dist', 'server', 'kernels', 'launch.bundle.mjs')
    );
    assert.equal(spec.metadata.kernel_provisioner.provisioner_name, 'ariel-container-provisioner');
  });

  it('carries the packages the bundles load at run time: job history and cloud commands work', async () => {
    // Nothing of the checkout: the fresh environment and a project outside it.
    const cloudProject = join(scratch, 'cloud-project');
    mkdirSync(join(cloudProject, 'trainer'), { recursive: true });
    writeFileSync(join(cloudProject, 'requirements.txt'), 'six\n');
    writeFileSync(join(cloudProject, 'trainer', 'train.py'), 'print(1)\n');
    const env = { ARIEL_DATA_DIR: join(scratch, 'data') };
    // better-sqlite3 (native): an empty history.
    assert.deepEqual(JSON.parse(await run(bin('ariel'), ['status', '--json'], env)), []);
    const cloud = [
      'cloud',
      'trainer/train.py',
      '--project',
      cloudProject,
      '--project-id',
      'p',
      '--region',
      'us-central1'
    ];
    const [job] = JSON.parse(await run(bin('ariel'), [...cloud, '--dry-run', '--json'], env)) as { image: string }[];
    assert.match(job.image, /^us-central1-docker\.pkg\.dev\/p\/ariel\/cloud-project:cloud-cpu-/);
    // The Vertex AI client (a dry run does not need it), loaded as the CLI bundle loads it.
    const cli = join(sitePackages, 'jupyterlab_ariel', 'node', 'dist', 'server', 'cli', 'main.bundle.mjs');
    const loaded = await run(process.execPath, [
      '-e',
      "const load = require('node:module').createRequire(process.argv[1]); console.log(typeof load('@google-cloud/aiplatform').v1.JobServiceClient)",
      cli
    ]);
    assert.equal(loaded.trim(), 'function');
  });

  it('ships no build leftovers: no installed file names the folder the wheel was built in', () => {
    const installed = join(sitePackages, 'jupyterlab_ariel');
    const files = readdirSync(installed, { recursive: true, withFileTypes: true }).filter(entry => entry.isFile());
    const named = files
      .map(entry => join(entry.parentPath, entry.name))
      .filter(file => readFileSync(file).includes(REPO.replace(/\/$/, '')));
    assert.deepEqual(named, []);
    // node-gyp's Makefiles and dependency files stay out; the compiled module is there.
    const names = files.map(entry => entry.name);
    const leftovers = names.filter(name =>
      /\.mk$|^binding\.Makefile$|\.(o|a|node|intermediate)\.d$|^config\.gypi$/.test(name)
    );
    assert.deepEqual(leftovers, []);
    assert.ok(names.includes('better_sqlite3.node'));
  });

  it('starts a container kernel through its Jupyter Server, with the companion server behind it', async () => {
    mkdirSync(project);
    writeFileSync(join(project, 'requirements.txt'), '');
    const server = new JupyterServer(project, {}, { jupyterEnv: venv });
    await server.start();
    try {
      const handshake = await server.request('GET', '/ariel/handshake');
      assert.deepEqual(handshake.body, { python: VERSION, companion: VERSION });

      const session = await server.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
        path: 'check.ipynb',
        name: 'check.ipynb',
        type: 'notebook',
        kernel: { name: 'ariel-cpu' }
      });
      assert.equal(session.status, 201, `${JSON.stringify(session.body)}\n${server.log}`);
      const client = await server.connect(session.body.kernel.id);
      try {
        await client.ready(300_000);
        const result = await client.execute("import os; print(os.path.exists('/.dockerenv'))");
        assert.equal(result.stdout.trim(), 'True', result.stderr);
      } finally {
        client.close();
      }
    } finally {
      await server.stop();
      // Other tests share the engine: only this project's containers count.
      const containers = () =>
        execFileSync('docker', ['ps', '-aq', '--filter', `label=org.ariel.project=${project}`], { encoding: 'utf8' });
      await eventually(() => containers().trim() === '', 'the kernel container to be removed');
      removeImagesOf(project);
    }
  });
});

describe('building the wheel without the JavaScript built first', () => {
  const checkout = mkdtempSync(join(tmpdir(), 'ariel-unbuilt-'));
  after(() => rmSync(checkout, { recursive: true, force: true }));

  it('fails, naming what is missing and how to build it', async () => {
    // The Python side of a fresh checkout: no dist/, no jupyterlab_ariel/labextension.
    for (const path of [
      'pyproject.toml',
      'README.md',
      'package.json',
      'install.json',
      'schema',
      'bin',
      'jupyter-config'
    ]) {
      cpSync(join(REPO, path), join(checkout, path), { recursive: true });
    }
    for (const script of ['hatch_build.py', 'version.py']) {
      cpSync(join(REPO, 'scripts', script), join(checkout, 'scripts', script));
    }
    cpSync(join(REPO, 'jupyterlab_ariel'), join(checkout, 'jupyterlab_ariel'), {
      recursive: true,
      filter: source => !source.includes('labextension') && !source.includes('__pycache__')
    });
    const build = run('python3', ['-m', 'pip', 'wheel', '--no-deps', '-w', join(checkout, 'wheels'), checkout]);
    await assert.rejects(build, (error: Error & { stderr: string }) => {
      assert.match(error.stderr, /prebuilt JavaScript is missing: .*dist\/server\/cli\/main\.bundle\.mjs/);
      assert.match(error.stderr, /jupyterlab_ariel\/labextension\/package\.json/);
      assert.match(error.stderr, /npm run build/);
      return true;
    });
  });
});
