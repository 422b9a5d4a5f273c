import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Accelerator } from '../project/config.js';
import { findProject } from '../project/project.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { ArielError } from '../errors.js';
import { MODES, renderDockerfile, type ImageSpec, type Mode } from './generate.js';
import { planImage, type ImagePlan } from './plan.js';

/** Snapshots live in the source tree; the compiled test sits in dist/server/dockerfile/. */
const SNAPSHOTS = new URL('../../../server/dockerfile/__snapshots__/', import.meta.url);
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';
const ACCELERATORS: Accelerator[] = ['cpu', 'gpu'];
const USER = { uid: 1000, gid: 1000 };

after(removeTempProjects);

/** Plans an image for a project written from `files`, in a folder named "demo", without machine settings. */
function plan(files: Record<string, string>, mode: Mode, accelerator: Accelerator, extras?: string[]): ImagePlan {
  return planImage(findProject(tempProject(files, 'demo')), { mode, accelerator, extras, env: {} });
}

/** The Dockerfile for a plan, rendered for a fixed user so it is the same on every machine. */
function dockerfile(files: Record<string, string>, mode: Mode, accelerator: Accelerator, extras?: string[]): string {
  return renderDockerfile({ ...plan(files, mode, accelerator, extras).spec, user: USER });
}

function matchSnapshot(name: string, actual: string): void {
  const url = new URL(`${name}.Dockerfile`, SNAPSHOTS);
  const path = fileURLToPath(url);
  if (UPDATE) {
    mkdirSync(fileURLToPath(SNAPSHOTS), { recursive: true });
    writeFileSync(url, actual);
    return;
  }
  assert.ok(existsSync(url), `snapshot ${path} is missing; run the tests with UPDATE_SNAPSHOTS=1 to write it`);
  assert.equal(actual, readFileSync(url, 'utf8'), `Dockerfile differs from ${path} (UPDATE_SNAPSHOTS=1 rewrites it)`);
}

const REQUIREMENTS_ONLY = { 'requirements.txt': 'numpy==1.26.4\ntorch\n', 'train.py': 'print("hi")\n' };

const SETUP_PY_WITH_GPU_EXTRA = {
  'setup.py': [
    'from setuptools import setup, find_packages',
    'setup(',
    '    name="demo",',
    '    packages=find_packages(),',
    '    install_requires=["numpy"],',
    '    extras_require={',
    '        "gpu": ["jax[cuda12]"],',
    '        "dev": ["pytest"],',
    '    },',
    ')',
    ''
  ].join('\n'),
  'setup.cfg': '[metadata]\nname = demo\n'
};

const PYPROJECT_STATIC = {
  'pyproject.toml': [
    '[project]',
    'name = "proj"',
    'version = "0.1.0"',
    'dependencies = ["numpy>=1.26", "pandas"]',
    '',
    '[project.optional-dependencies]',
    'gpu = ["jax[cuda12]>=0.4"]',
    'plot = ["matplotlib"]',
    'all = ["proj[gpu]", "proj[plot]", "numpy>=1.26"]',
    ''
  ].join('\n')
};

const PYPROJECT_DYNAMIC = {
  'pyproject.toml': ['[project]', 'name = "proj"', 'dynamic = ["version", "dependencies"]', ''].join('\n'),
  'setup.py': 'from setuptools import setup\nsetup(install_requires=["numpy"])\n'
};

describe('Dockerfile snapshots', () => {
  for (const mode of MODES) {
    for (const accelerator of ACCELERATORS) {
      it(`${mode} mode, ${accelerator}, requirements.txt only`, () => {
        matchSnapshot(`${mode}-${accelerator}`, dockerfile(REQUIREMENTS_ONLY, mode, accelerator));
      });
    }
  }

  for (const accelerator of ACCELERATORS) {
    it(`setup.py with a gpu extra, ${accelerator}`, () => {
      const text = dockerfile(SETUP_PY_WITH_GPU_EXTRA, 'run', accelerator);
      matchSnapshot(`setup-py-extras-${accelerator}`, text);
      assert.ok(text.includes('COPY --chown=1000:1000 setup.py setup.cfg /tmp/ariel/package/'));
      if (accelerator === 'gpu') {
        assert.ok(text.includes('RUN ["pip", "install", "/tmp/ariel/package[gpu]"]'), text);
      } else {
        assert.ok(text.includes('RUN ["pip", "install", "/tmp/ariel/package"]'), text);
        assert.ok(!text.includes('[gpu]'), text);
      }
    });

    it(`pyproject.toml with static dependencies and a self-referencing extra, ${accelerator}`, () => {
      const files = { ...PYPROJECT_STATIC, '.ariel.json': '{ "extras": ["all"] }' };
      const text = dockerfile(files, 'run', accelerator);
      matchSnapshot(`pyproject-static-${accelerator}`, text);
      // "all" pulls in the gpu and plot extras through "proj[...]", which never reaches pip.
      assert.ok(
        text.includes('RUN ["pip", "install", "numpy>=1.26", "pandas", "jax[cuda12]>=0.4", "matplotlib"]'),
        text
      );
      assert.ok(!text.includes('proj['), text);
      assert.ok(!text.includes('COPY pyproject.toml'), 'static metadata needs no copy of pyproject.toml');
    });
  }

  it('pyproject.toml with static dependencies, gpu extra added for the gpu image only', () => {
    const gpu = dockerfile(PYPROJECT_STATIC, 'run', 'gpu');
    const cpu = dockerfile(PYPROJECT_STATIC, 'run', 'cpu');
    matchSnapshot('pyproject-accelerator-extra-gpu', gpu);
    assert.ok(gpu.includes('RUN ["pip", "install", "numpy>=1.26", "pandas", "jax[cuda12]>=0.4"]'), gpu);
    assert.ok(cpu.includes('RUN ["pip", "install", "numpy>=1.26", "pandas"]'), cpu);
  });

  it('pyproject.toml with dynamic dependencies copies the metadata files', () => {
    const text = dockerfile(PYPROJECT_DYNAMIC, 'run', 'cpu', ['dev']);
    matchSnapshot('pyproject-dynamic-cpu', text);
    assert.ok(text.includes('COPY --chown=1000:1000 pyproject.toml setup.py /tmp/ariel/package/'), text);
    assert.ok(text.includes('RUN ["pip", "install", "/tmp/ariel/package[dev]"]'), text);
  });

  it('requirements.txt with -r and -c includes copies each at its own path', () => {
    const text = dockerfile(
      {
        'requirements.txt': '-r reqs/base.txt\n-c constraints.txt\ntorch\n',
        'reqs/base.txt': 'numpy\n',
        'constraints.txt': 'numpy<3\n'
      },
      'run',
      'cpu'
    );
    matchSnapshot('requirements-includes-cpu', text);
    assert.ok(
      text.includes(
        [
          'COPY requirements.txt /tmp/ariel/requirements.txt',
          'COPY reqs/base.txt /tmp/ariel/reqs/base.txt',
          'COPY constraints.txt /tmp/ariel/constraints.txt',
          'RUN ["pip", "install", "-r", "/tmp/ariel/requirements.txt"]'
        ].join('\n')
      ),
      text
    );
  });

  it('with requirements.lock, every pip step installs within it as constraints', () => {
    const files = { ...REQUIREMENTS_ONLY, 'requirements.lock': 'numpy==1.26.4\ntorch==2.13.0\n' };
    const notebook = dockerfile(files, 'notebook', 'cpu');
    const run = dockerfile({ ...files, 'nb.ipynb': '{}' }, 'run', 'cpu');
    matchSnapshot('locked-notebook-cpu', notebook);
    assert.ok(
      notebook.includes(
        [
          'COPY requirements.lock /tmp/ariel/requirements.lock',
          'COPY requirements.txt /tmp/ariel/requirements.txt',
          'RUN ["pip", "install", "-r", "/tmp/ariel/requirements.txt", "-c", "/tmp/ariel/requirements.lock"]',
          'RUN ["pip", "install", "ipykernel", "-c", "/tmp/ariel/requirements.lock"]'
        ].join('\n')
      ),
      notebook
    );
    assert.ok(run.includes('"-c", "/tmp/ariel/requirements.lock"'), run);
    // Without the file, no constraints.
    assert.ok(!dockerfile(REQUIREMENTS_ONLY, 'notebook', 'cpu').includes('requirements.lock'));
    // A requirements.txt that names the lock itself copies it once.
    const named = dockerfile({ ...files, 'requirements.txt': '-c requirements.lock\nnumpy\n' }, 'notebook', 'cpu');
    assert.equal(named.split('COPY requirements.lock ').length, 2, named);
  });

  it('every image records its packages after the last pip step, before the code, and its Dockerfile last', () => {
    for (const mode of MODES) {
      const text = dockerfile(REQUIREMENTS_ONLY, mode, 'cpu');
      const lines = text.trimEnd().split('\n');
      const record = lines.findIndex(line => line.includes('pip list --format=freeze > /opt/ariel/packages.txt'));
      assert.ok(record > 0, text);
      const lastPip = lines.reduce((last, line, i) => (line.startsWith('RUN ["pip"') ? i : last), -1);
      assert.ok(lastPip < record, `${mode}: the record comes after every pip step\n${text}`);
      const code = lines.findIndex(line => line.startsWith('COPY --chown=1000:1000 . /app'));
      assert.ok(code === -1 || code > record, `${mode}: the code comes after the record\n${text}`);
      // The Dockerfile as built, last: the steps before it are the same whatever the mode.
      assert.equal(lines.at(-2), 'ARG ARIEL_DOCKERFILE', text);
      assert.ok(lines.at(-1)!.includes('printf \'%s\' \\"$ARIEL_DOCKERFILE\\" > /opt/ariel/Dockerfile'), text);
      // The record's folder belongs to the user who writes it.
      assert.ok(text.includes('chown -R 1000:1000 /app /opt/venv /opt/ariel'), text);
    }
  });

  it('apt_packages as a list goes into both images', () => {
    const files = { ...REQUIREMENTS_ONLY, '.ariel.json': '{ "apt_packages": ["git", "libsndfile1"] }' };
    const cpu = dockerfile(files, 'run', 'cpu');
    const gpu = dockerfile(files, 'run', 'gpu');
    matchSnapshot('apt-list-cpu', cpu);
    matchSnapshot('apt-list-gpu', gpu);
    assert.ok(cpu.includes('apt-get install -y --no-install-recommends git libsndfile1 \\'), cpu);
    assert.ok(
      gpu.includes('apt-get install -y --no-install-recommends python3 python3-venv python3-pip git libsndfile1 \\'),
      gpu
    );
  });

  it('apt_packages per accelerator', () => {
    const files = {
      ...REQUIREMENTS_ONLY,
      '.ariel.json': '{ "apt_packages": { "cpu": ["git"], "gpu": ["git", "nvtop"] } }'
    };
    const cpu = dockerfile(files, 'run', 'cpu');
    const gpu = dockerfile(files, 'run', 'gpu');
    matchSnapshot('apt-per-accelerator-cpu', cpu);
    matchSnapshot('apt-per-accelerator-gpu', gpu);
    assert.ok(cpu.includes('--no-install-recommends git \\'), cpu);
    assert.ok(!cpu.includes('nvtop'), cpu);
    assert.ok(gpu.includes('--no-install-recommends python3 python3-venv python3-pip git nvtop \\'), gpu);
  });

  it('base_image with "{}" names one image per accelerator', () => {
    const files = { ...REQUIREMENTS_ONLY, '.calibanconfig.json': '{ "base_image": "registry.example/ml:{}-2024" }' };
    const cpu = dockerfile(files, 'run', 'cpu');
    const gpu = dockerfile(files, 'run', 'gpu');
    matchSnapshot('base-image-template-cpu', cpu);
    matchSnapshot('base-image-template-gpu', gpu);
    assert.ok(cpu.includes('FROM registry.example/ml:cpu-2024 AS ariel-base\n'), cpu);
    assert.ok(gpu.includes('FROM registry.example/ml:gpu-2024 AS ariel-base\n'), gpu);
    // A chosen GPU image is trusted to have Python.
    assert.ok(!gpu.includes('python3-venv'), gpu);
  });

  it('pip index settings reach the pip steps as build arguments that no history records', () => {
    const secret = 'https://user:s3cret@pypi.internal.example/simple';
    const extra = 'https://extra.internal.example/simple';
    const files = {
      ...REQUIREMENTS_ONLY,
      '.ariel.json': JSON.stringify({ build: { pip_index_url: secret, pip_extra_index_url: [extra] } })
    };
    const p = plan(files, 'run', 'cpu');
    const text = renderDockerfile({ ...p.spec, user: USER });
    matchSnapshot('pip-index-cpu', text);
    assert.ok(!text.includes('s3cret') && !text.includes('internal.example'), text);
    assert.ok(!p.dockerfile.includes('s3cret'));
    assert.deepEqual(p.buildArgs, { FTP_PROXY: secret, ftp_proxy: extra });
    // An ARG line would write the values into the history of every later RUN step. The only
    // one is the image's Dockerfile, for its record; it carries no index setting.
    assert.ok(!/^ARG (?!ARIEL_DOCKERFILE$)/m.test(text), text);
    assert.ok(
      text.includes(
        'RUN ["sh", "-c", "PIP_INDEX_URL=\\"$FTP_PROXY\\" PIP_EXTRA_INDEX_URL=\\"$ftp_proxy\\" exec pip \\"$@\\"", "pip", "install", "-r", "/tmp/ariel/requirements.txt"]\n'
      ),
      text
    );
  });
});

describe('renderDockerfile', () => {
  it('gives byte-identical output for identical inputs, wherever the project lives', () => {
    for (const mode of MODES) {
      for (const accelerator of ACCELERATORS) {
        const first = dockerfile(REQUIREMENTS_ONLY, mode, accelerator);
        const second = dockerfile(REQUIREMENTS_ONLY, mode, accelerator);
        assert.equal(first, second);
        const spec = { ...plan(REQUIREMENTS_ONLY, mode, accelerator).spec, user: USER };
        assert.equal(renderDockerfile(spec), renderDockerfile(structuredClone(spec)));
      }
    }
  });

  it('differs between modes and accelerators in its instructions, not only its header comment', () => {
    const instructions = (text: string) => text.replace(/^#.*\n/gm, '');
    // A cloud image holds what a run image holds (their tags differ by mode).
    const all = (['shell', 'notebook', 'run'] as const).flatMap(mode =>
      ACCELERATORS.map(accelerator => instructions(dockerfile(REQUIREMENTS_ONLY, mode, accelerator)))
    );
    assert.equal(new Set(all).size, all.length);
  });

  it('starts every mode with the same steps up to the dependencies, so modes share those layers', () => {
    const instructions = (text: string) => text.replace(/^#.*\n/gm, '');
    for (const accelerator of ACCELERATORS) {
      // Up to its packages record, which notebook images write after their kernel.
      const shell = instructions(dockerfile(REQUIREMENTS_ONLY, 'shell', accelerator)).split(
        'RUN ["sh", "-c", "pip list'
      )[0];
      assert.ok(shell.trimEnd().endsWith('"/tmp/ariel/requirements.txt"]'), shell);
      for (const mode of ['notebook', 'run', 'cloud'] as const) {
        const text = instructions(dockerfile(REQUIREMENTS_ONLY, mode, accelerator));
        assert.ok(text.startsWith(shell), `${mode} does not start with the shell image's steps:\n${text}`);
      }
    }
  });

  it('copies the code only in batch modes, as the last step before the record of the Dockerfile', () => {
    for (const accelerator of ACCELERATORS) {
      for (const mode of ['shell', 'notebook'] as const) {
        const text = dockerfile(REQUIREMENTS_ONLY, mode, accelerator);
        assert.ok(!/^COPY .* \. \/app$/m.test(text), `${mode}: ${text}`);
        assert.ok(!text.includes('COPY . /app'), text);
      }
      for (const mode of ['run', 'cloud'] as const) {
        const text = dockerfile(REQUIREMENTS_ONLY, mode, accelerator);
        assert.ok(
          text.endsWith('WORKDIR /app\nCOPY --chown=1000:1000 . /app\nARG ARIEL_DOCKERFILE\n', text.lastIndexOf('RUN')),
          `${mode}: ${text}`
        );
      }
    }
  });

  it('installs ipykernel in notebook mode only', () => {
    for (const accelerator of ACCELERATORS) {
      for (const mode of MODES) {
        const text = dockerfile(REQUIREMENTS_ONLY, mode, accelerator);
        assert.equal(text.includes('RUN ["pip", "install", "ipykernel"]'), mode === 'notebook', `${mode}: ${text}`);
      }
    }
  });

  it('installs Python with apt on the default GPU base image only', () => {
    for (const mode of MODES) {
      const gpu = dockerfile(REQUIREMENTS_ONLY, mode, 'gpu');
      assert.ok(gpu.startsWith(`# Generated by Ariel for project "demo": mode ${mode}, GPU.\n`), gpu);
      assert.ok(gpu.includes('FROM nvidia/cuda:'), gpu);
      assert.ok(/apt-get install -y --no-install-recommends python3 python3-venv python3-pip \\$/m.test(gpu), gpu);
      const cpu = dockerfile(REQUIREMENTS_ONLY, mode, 'cpu');
      assert.ok(cpu.includes('FROM python:3.11-slim AS ariel-base\n'), cpu);
      assert.ok(!cpu.includes('apt-get'), cpu);
    }
  });

  it('creates the user it is given and installs as that user into an environment it owns', () => {
    const spec = { ...plan(REQUIREMENTS_ONLY, 'run', 'cpu').spec, user: { uid: 1234, gid: 4321 } };
    const text = renderDockerfile(spec);
    assert.ok(text.includes('useradd --no-log-init --create-home --uid 1234 --gid 4321'), text);
    assert.ok(text.includes('python3 -m venv /opt/venv && chown -R 1234:4321 /app /opt/venv /opt/ariel\n'), text);
    assert.ok(/\nUSER 1234:4321\nCOPY requirements.txt .*\nRUN \["pip", "install"/.test(text), text);
    assert.ok(!text.includes('--from'), text);
  });

  it('installs requirements.txt from a copy of that file alone', () => {
    const text = dockerfile(REQUIREMENTS_ONLY, 'shell', 'cpu');
    assert.ok(
      text.includes(
        'COPY requirements.txt /tmp/ariel/requirements.txt\nRUN ["pip", "install", "-r", "/tmp/ariel/requirements.txt"]'
      ),
      text
    );
    assert.ok(!text.includes('train.py'), text);
  });
});

describe('renderDockerfile refuses values that would add a line, whatever checked them before', () => {
  const spec = () => ({ ...plan(REQUIREMENTS_ONLY, 'run', 'cpu').spec, user: USER });
  const cases: [string, Partial<ImageSpec>][] = [
    ['baseImage', { baseImage: 'python:3.11-slim\nRUN touch /x #' }],
    ['baseImage', { baseImage: 'python:3.11-slim\r' }],
    ['aptPackages[0]', { aptPackages: ['git\u2028RUN x'] }],
    ['dependencies.requirements', { dependencies: { requirements: 'requirements.txt\nRUN x' } }],
    [
      'dependencies.package.requirements[0]',
      { dependencies: { package: { kind: 'pyproject', name: 'p', requirements: ['numpy\u0000'], extras: [] } } }
    ]
  ];
  for (const [field, change] of cases) {
    it(`refuses a control character in ${field}`, () => {
      assert.throws(
        () => renderDockerfile({ ...spec(), ...change }),
        (error: unknown) =>
          error instanceof ArielError && error.code === 'dockerfile-unsafe' && error.message.includes(field)
      );
    });
  }
});
