import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

// Every file the CLI reads, malformed in the ways a careless or hostile user would: each must
// end with exit code 1 and a message naming the file, the key or the value, never with an
// "unexpected error", and nothing may add a line to a Dockerfile. None of these needs an engine.

after(removeTempProjects);

const INJECTION = 'python:3.11-slim\nRUN touch /x #';
const INJECTION_CRLF = 'python:3.11-slim\r\nRUN touch /x #';

/** An environment without machine settings or a user config, so only the project's files count. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    ARIEL_BASE_IMAGE_CPU: undefined,
    ARIEL_BASE_IMAGE_GPU: undefined,
    ARIEL_PIP_INDEX_URL: undefined,
    ARIEL_PIP_EXTRA_INDEX_URL: undefined,
    ARIEL_BUILD_NETWORK: undefined,
    ARIEL_CONFIG_DIR: tempProject({}),
    ...extra
  };
}

async function cli(root: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: root, env: cleanEnv(env) });
}

/** Asserts a clean refusal: exit code 1, no Dockerfile, no "unexpected error", and every fragment in the message. */
function assertRefused(result: CliResult, ...fragments: string[]): void {
  assert.equal(result.code, 1, `exit code ${result.code}\n${result.stderr}`);
  assert.ok(!result.stderr.includes('unexpected error'), result.stderr);
  assert.ok(!/^RUN touch/m.test(result.stdout), `a Dockerfile with the injected line:\n${result.stdout}`);
  for (const fragment of fragments) {
    assert.ok(result.stderr.includes(fragment), `stderr lacks ${JSON.stringify(fragment)}:\n${result.stderr}`);
  }
}

const dockerfile = (root: string, env?: Record<string, string>, ...extra: string[]) =>
  cli(root, ['dockerfile', '--mode', 'run', ...extra], env);

describe('ariel dockerfile: no value adds a line to the Dockerfile', () => {
  for (const [name, value] of [
    ['a line break', INJECTION],
    ['a CRLF line break', INJECTION_CRLF]
  ]) {
    for (const file of ['.ariel.json', '.calibanconfig.json']) {
      it(`refuses ${name} in base_image (string form) in ${file}`, async () => {
        const root = tempProject({ [file]: JSON.stringify({ base_image: value }) });
        assertRefused(await dockerfile(root), file, 'base_image', 'line break', 'image reference');
      });
    }

    for (const accelerator of ['cpu', 'gpu']) {
      it(`refuses ${name} in base_image.${accelerator} (object form)`, async () => {
        const root = tempProject({ '.ariel.json': JSON.stringify({ base_image: { [accelerator]: value } }) });
        assertRefused(
          await dockerfile(root, {}, `--${accelerator}`),
          '.ariel.json',
          `base_image.${accelerator}`,
          'line break'
        );
      });

      it(`refuses ${name} in ARIEL_BASE_IMAGE_${accelerator.toUpperCase()}`, async () => {
        const root = tempProject({ 'main.py': '' });
        const variable = `ARIEL_BASE_IMAGE_${accelerator.toUpperCase()}`;
        assertRefused(await dockerfile(root, { [variable]: value }, `--${accelerator}`), variable, 'line break');
      });
    }
  }

  for (const [value, rule] of [
    ['python 3.11', 'space'],
    ['python:3.11;rm', 'not an image reference'],
    ['Python:3.11', 'upper-case'],
    ['python:' + 'x'.repeat(200), 'not an image reference'],
    ['a'.repeat(600_000), 'characters long'],
    ['dlvm:pytorch-{}-9.9', 'DLVM']
  ]) {
    it(`refuses base_image ${JSON.stringify(value.slice(0, 30))} (${rule})`, async () => {
      const root = tempProject({ '.ariel.json': JSON.stringify({ base_image: value }) });
      assertRefused(await dockerfile(root), '.ariel.json', 'base_image', rule);
    });
  }

  for (const [key, config] of [
    ['apt_packages[0]', { apt_packages: ['git\nRUN touch /x'] }],
    ['apt_packages.gpu[0]', { apt_packages: { gpu: ['git;touch /x'] } }],
    ['extras[0]', { extras: ['train\nRUN touch /x'] }],
    ['env[0]', { env: ['HOME\nRUN touch /x'] }],
    ['build.pip_index_url', { build: { pip_index_url: 'https://mirror.example/simple\nRUN touch /x' } }],
    ['build.pip_index_url', { build: { pip_index_url: 'https://mirror.example/"simple' } }],
    ['build.pip_index_url', { build: { pip_index_url: 'mirror.example/simple' } }],
    ['build.pip_extra_index_url', { build: { pip_extra_index_url: 'https://a.example/ https://b.example/\nRUN x' } }],
    ['build.pip_extra_index_url[1]', { build: { pip_extra_index_url: ['https://a.example/', 'https://b example/'] } }],
    ['build.network', { build: { network: 'host\nRUN touch /x' } }],
    ['build.network', { build: { network: 'host;rm' } }]
  ] as const) {
    it(`refuses a bad ${key}: ${JSON.stringify(config)}`, async () => {
      const root = tempProject({ '.ariel.json': JSON.stringify(config) });
      assertRefused(await dockerfile(root, {}, '--gpu'), '.ariel.json', key);
    });
  }

  for (const [variable, value] of [
    ['ARIEL_PIP_INDEX_URL', 'https://mirror.example/simple\nRUN touch /x'],
    ['ARIEL_PIP_INDEX_URL', "https://mirror.example/'simple"],
    ['ARIEL_PIP_EXTRA_INDEX_URL', 'https://a.example/\nhttps://b.example/'],
    ['ARIEL_BUILD_NETWORK', 'host\nx']
  ]) {
    it(`refuses ${variable}=${JSON.stringify(value)}`, async () => {
      const root = tempProject({ 'main.py': '' });
      assertRefused(await dockerfile(root, { [variable]: value }), variable);
    });
  }

  it('refuses a line break in the user config', async () => {
    const userDir = tempProject({
      'config.json': JSON.stringify({ build: { pip_index_url: 'https://a.example/\nRUN x' } })
    });
    const root = tempProject({ 'main.py': '' });
    assertRefused(
      await dockerfile(root, { ARIEL_CONFIG_DIR: userDir }),
      join(userDir, 'config.json'),
      'build.pip_index_url'
    );
  });

  it('refuses an extra on the command line that is not a name', async () => {
    const root = tempProject({ 'setup.py': 'setup(extras_require={"a": []})\n' });
    assertRefused(await dockerfile(root, {}, '--extras', 'a]\nRUN touch /x'), 'Extra', 'extra name');
  });
});

describe('ariel dockerfile: base images as Caliban names them', () => {
  for (const [config, accelerator, expected] of [
    [{ base_image: { cpu: 'my/python:{}', gpu: 'my/cuda-python:{}' } }, 'gpu', 'my/cuda-python:gpu'],
    [{ base_image: { cpu: 'my/python:{}' } }, 'cpu', 'my/python:cpu'],
    [{ base_image: 'dlvm:pytorch-{}-1.4' }, 'cpu', 'gcr.io/deeplearning-platform-release/pytorch-cpu.1-4'],
    [{ base_image: 'dlvm:pytorch-{}-1.4' }, 'gpu', 'gcr.io/deeplearning-platform-release/pytorch-gpu.1-4'],
    [{ base_image: 'dlvm:tf2-cpu' }, 'cpu', 'gcr.io/deeplearning-platform-release/tf2-cpu'],
    [{ base_image: { gpu: 'dlvm:tf-{}-1.15' } }, 'gpu', 'gcr.io/deeplearning-platform-release/tf-gpu.1-15']
  ] as const) {
    it(`shows ${JSON.stringify(config)} as ${expected} (${accelerator})`, async () => {
      const root = tempProject({ '.calibanconfig.json': JSON.stringify(config) });
      const result = await dockerfile(root, {}, `--${accelerator}`);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^FROM ${expected.replaceAll('.', '\\.')} AS ariel-base$`, 'm'));
    });
  }
});

describe('ariel dockerfile and run: malformed project files', () => {
  const dangling = (root: string, name: string) => symlinkSync(join(root, 'missing-target'), join(root, name));

  for (const [file, make, fragment] of [
    ['.ariel.json', (root: string) => mkdirSync(join(root, '.ariel.json')), 'is a folder'],
    ['.ariel.json', (root: string) => dangling(root, '.ariel.json'), 'symbolic link'],
    [
      '.ariel.json',
      (root: string) => writeFileSync(join(root, '.ariel.json'), Buffer.from([0x7b, 0xff, 0x7d])),
      'UTF-8'
    ],
    ['.calibanconfig.json', (root: string) => mkdirSync(join(root, '.calibanconfig.json')), 'is a folder'],
    ['setup.py', (root: string) => mkdirSync(join(root, 'setup.py')), 'is a folder'],
    ['setup.py', (root: string) => dangling(root, 'setup.py'), 'symbolic link'],
    ['pyproject.toml', (root: string) => mkdirSync(join(root, 'pyproject.toml')), 'is a folder'],
    ['requirements.txt', (root: string) => mkdirSync(join(root, 'requirements.txt')), 'is a folder'],
    ['requirements.txt', (root: string) => dangling(root, 'requirements.txt'), 'symbolic link'],
    [
      'requirements.txt',
      (root: string) => writeFileSync(join(root, 'requirements.txt'), Buffer.from('numpy\n\xff\n', 'latin1')),
      'UTF-8'
    ]
  ] as const) {
    it(`names ${file} when it ${fragment === 'UTF-8' ? 'is not UTF-8' : fragment}`, async () => {
      const root = tempProject({ 'main.py': '' });
      make(root);
      assertRefused(await dockerfile(root), join(root, file), fragment);
    });
  }

  it('names .dockerignore when it is a folder (run mode reads it)', async () => {
    const root = tempProject({ 'main.py': '', '.dockerignore/': '' });
    assertRefused(await cli(root, ['run', 'main.py', '--dry-run']), join(root, '.dockerignore'), 'is a folder');
  });

  it('names the line of an invalid .dockerignore pattern', async () => {
    const root = tempProject({ 'main.py': '', '.dockerignore': '# data\ndata/\n[\n' });
    assertRefused(await cli(root, ['run', 'main.py', '--dry-run']), `${join(root, '.dockerignore')}:3`, '"["');
  });

  for (const [config, fragment] of [
    ['{"base_image": ', 'invalid JSON'],
    ['[1, 2]', 'the file'],
    ['{"": 1}', 'empty key ""'],
    ['{"build": {"": 1}}', 'empty key "" in "build"'],
    ['{"__proto__": {"base_image": "x"}}', 'unknown key "__proto__"'],
    ['{"build": {"__proto__": {}}}', 'unknown key "build.__proto__"'],
    ['['.repeat(100_000) + ']'.repeat(100_000), 'nested deeper than'],
    ['{"kernel": {"network": "bridge"}}', 'kernel.network']
  ]) {
    it(`names the problem in .ariel.json ${JSON.stringify(config.slice(0, 40))}`, async () => {
      const root = tempProject({ '.ariel.json': config });
      assertRefused(await dockerfile(root), join(root, '.ariel.json'), fragment);
    });
  }

  for (const [pyproject, key] of [
    ['[project]\nname = "p"\ndependencies = "numpy"\n', 'dependencies'],
    ['[project]\nname = "p"\ndependencies = [1]\n', 'dependencies'],
    ['[project]\nname = "p"\ndynamic = "dependencies"\n', 'dynamic'],
    ['[project]\nname = "p"\noptional-dependencies = ["gpu"]\n', 'optional-dependencies'],
    ['[project]\nname = "p"\n[project.optional-dependencies]\ngpu = "jax"\n', 'optional-dependencies.gpu'],
    ['[project]\nname = 3\n', 'name'],
    ['project = 3\n', 'project'],
    ['[project\n', 'invalid TOML']
  ]) {
    it(`names pyproject.toml's key ${key} when it has the wrong type`, async () => {
      const root = tempProject({ 'pyproject.toml': pyproject });
      assertRefused(await dockerfile(root), join(root, 'pyproject.toml'), key);
    });
  }

  for (const [files, fragments] of [
    [{ 'requirements.txt': '-r base.txt\n' }, ['requirements.txt:1', 'base.txt', 'does not exist']],
    [{ 'requirements.txt': 'numpy\n-c ../constraints.txt\n' }, ['requirements.txt:2', 'outside the project']],
    [{ 'requirements.txt': '-r base.txt\n', 'base.txt': '--requirement=/etc/passwd\n' }, ['base.txt:1', 'outside']],
    [{ 'requirements.txt': 'numpy\n-e .\n' }, ['requirements.txt:2', '-e .', 'no setup.py or pyproject.toml']],
    [{ 'requirements.txt': './libs/foo\n' }, ['requirements.txt:1', './libs/foo']]
  ] as const) {
    it(`refuses requirements ${JSON.stringify(files)} before building`, async () => {
      const root = tempProject(files);
      const result = await dockerfile(root);
      assertRefused(result, ...fragments.map(f => (f.includes(':') ? join(root, f) : f)));
    });
  }

  for (const [files, extra, fragment] of [
    [{ 'main.py': '' }, 'gpu', 'no package'],
    [{ 'requirements.txt': 'numpy\n' }, 'gpu', 'no package'],
    [{ 'setup.py': 'from setuptools import setup\nsetup(name="p")\n' }, 'train', 'declares no extras'],
    [
      { 'pyproject.toml': '[project]\nname = "p"\n[project.optional-dependencies]\nplot = []\n' },
      'train',
      'Declared extras: plot'
    ]
  ] as const) {
    it(`refuses --extras ${extra} for ${Object.keys(files).join(', ')}`, async () => {
      const root = tempProject(files);
      assertRefused(await dockerfile(root, {}, '--extras', extra), extra, fragment);
    });
  }

  it('refuses "extras" in the config when the project has no package', async () => {
    const root = tempProject({ '.ariel.json': '{"extras": ["train"]}', 'main.py': '' });
    assertRefused(await dockerfile(root), 'train', 'no package');
  });
});

describe('ariel run: targets', () => {
  it('resolves a relative script against the project root when run from outside the project', async () => {
    const root = tempProject({ 'tools/sweep.py': 'print(1)\n', 'requirements.txt': '' });
    const elsewhere = tempProject({});
    const result = await runCli(['run', 'tools/sweep.py', '--project', root, '--dry-run', '--json'], {
      cwd: elsewhere,
      env: cleanEnv()
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as unknown[]).length, 1);
  });

  it('still refuses a script that is not in the project when run from outside it', async () => {
    const root = tempProject({ 'main.py': '' });
    const elsewhere = tempProject({ 'tools/sweep.py': '' });
    const result = await runCli(['run', 'tools/sweep.py', '--project', root, '--dry-run'], {
      cwd: elsewhere,
      env: cleanEnv()
    });
    assertRefused(result, 'tools/sweep.py', 'does not exist');
  });

  it('names the --project flag for a project folder that does not exist', async () => {
    const root = tempProject({ 'main.py': '' });
    const result = await cli(root, ['run', 'main.py', '--project', join(root, 'nowhere'), '--dry-run']);
    assertRefused(result, 'nowhere does not exist', 'Pass --project with an existing folder.');
  });

  for (const target of ['', '  ']) {
    it(`refuses an empty target ${JSON.stringify(target)}`, async () => {
      const root = tempProject({ 'main.py': '' });
      assertRefused(await cli(root, ['run', target, '--dry-run']), 'run target is empty');
    });
  }
});
