import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Accelerator } from '../project/config.js';
import type { UserConfig } from '../project/user-config.js';
import { findProject } from '../project/project.js';
import { ArielError } from '../errors.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import type { Mode } from './generate.js';
import { DEFAULT_BASE_IMAGES, hostUser, planImage } from './plan.js';

after(removeTempProjects);

const REQUIREMENTS = { 'requirements.txt': 'numpy\n' };

function plan(
  files: Record<string, string>,
  options: {
    mode?: Mode;
    accelerator?: Accelerator;
    extras?: string[];
    env?: NodeJS.ProcessEnv;
    name?: string;
    userConfig?: UserConfig;
  } = {}
) {
  const project = findProject(tempProject(files, options.name ?? 'demo'));
  return planImage(project, {
    mode: options.mode ?? 'run',
    accelerator: options.accelerator ?? 'cpu',
    extras: options.extras,
    env: options.env ?? {},
    userConfig: options.userConfig ?? { build: { pipExtraIndexUrls: [] } }
  });
}

describe('planImage', () => {
  it('uses the default base images without a config or machine settings', () => {
    assert.equal(plan(REQUIREMENTS).spec.baseImage, DEFAULT_BASE_IMAGES.cpu);
    const gpu = plan(REQUIREMENTS, { accelerator: 'gpu' });
    assert.equal(gpu.spec.baseImage, DEFAULT_BASE_IMAGES.gpu);
    assert.equal(gpu.spec.installPython, true);
    assert.deepEqual(gpu.buildArgs, {});
    assert.equal(gpu.network, undefined);
  });

  it('takes the base image from the config, then ARIEL_BASE_IMAGE_*, then the default', () => {
    const env = { ARIEL_BASE_IMAGE_CPU: 'mirror/python:cpu', ARIEL_BASE_IMAGE_GPU: 'mirror/cuda:gpu' };
    assert.equal(plan(REQUIREMENTS, { env }).spec.baseImage, 'mirror/python:cpu');
    const gpu = plan(REQUIREMENTS, { env, accelerator: 'gpu' });
    assert.equal(gpu.spec.baseImage, 'mirror/cuda:gpu');
    assert.equal(gpu.spec.installPython, false);
    assert.ok(gpu.dockerfile.includes('FROM mirror/cuda:gpu AS ariel-base'));

    const configured = { ...REQUIREMENTS, '.ariel.json': '{ "base_image": { "gpu": "team/cuda:1" } }' };
    assert.equal(plan(configured, { env, accelerator: 'gpu' }).spec.baseImage, 'team/cuda:1');
    // The config names no CPU image, so the machine's applies.
    assert.equal(plan(configured, { env, accelerator: 'cpu' }).spec.baseImage, 'mirror/python:cpu');
  });

  it('reads pip indexes and the build network from the machine when the config has none', () => {
    const env = {
      ARIEL_PIP_INDEX_URL: 'http://127.0.0.1:9999/simple',
      ARIEL_PIP_EXTRA_INDEX_URL: ' http://a.example/simple  http://b.example/simple ',
      ARIEL_BUILD_NETWORK: 'host'
    };
    const p = plan(REQUIREMENTS, { env });
    assert.deepEqual(p.buildArgs, {
      FTP_PROXY: 'http://127.0.0.1:9999/simple',
      ftp_proxy: 'http://a.example/simple http://b.example/simple'
    });
    assert.equal(p.network, 'host');
    assert.deepEqual(p.spec.pipIndex, { index: true, extraIndex: true });
    assert.ok(!p.dockerfile.includes('127.0.0.1') && !p.dockerfile.includes('a.example'));

    const configured = {
      ...REQUIREMENTS,
      '.ariel.json':
        '{ "build": { "pip_index_url": "https://team.example/simple", "pip_extra_index_url": "https://x.example/simple https://y.example/simple", "network": "bridge" } }'
    };
    const q = plan(configured, { env });
    assert.deepEqual(q.buildArgs, {
      FTP_PROXY: 'https://team.example/simple',
      ftp_proxy: 'https://x.example/simple https://y.example/simple'
    });
    assert.equal(q.network, 'bridge');
  });

  it('takes build settings from the project file, then the user config, then the machine', () => {
    const env = {
      ARIEL_PIP_INDEX_URL: 'http://machine.example/simple',
      ARIEL_PIP_EXTRA_INDEX_URL: 'http://machine-extra.example/simple',
      ARIEL_BUILD_NETWORK: 'bridge'
    };
    const userConfig: UserConfig = {
      build: { pipIndexUrl: 'https://u:pw@user.example/simple', pipExtraIndexUrls: [], network: 'host' }
    };
    const fromUser = plan(REQUIREMENTS, { env, userConfig });
    assert.deepEqual(fromUser.buildArgs, {
      FTP_PROXY: 'https://u:pw@user.example/simple',
      ftp_proxy: 'http://machine-extra.example/simple'
    });
    assert.equal(fromUser.network, 'host');
    assert.deepEqual(fromUser.project.warnings, []);

    const project = { ...REQUIREMENTS, '.ariel.json': '{ "build": { "pip_index_url": "https://p.example/simple" } }' };
    assert.equal(plan(project, { env, userConfig }).buildArgs.FTP_PROXY, 'https://p.example/simple');
  });

  it('refuses ARIEL_* values that cannot be what they name, naming the variable', () => {
    for (const [name, value] of [
      ['ARIEL_BASE_IMAGE_CPU', 'python:3.11-slim\nRUN touch /x'],
      ['ARIEL_BASE_IMAGE_CPU', 'python 3'],
      ['ARIEL_PIP_INDEX_URL', 'mirror.example/simple'],
      ['ARIEL_PIP_EXTRA_INDEX_URL', 'https://a.example/\nhttps://b.example/'],
      ['ARIEL_BUILD_NETWORK', 'host net']
    ]) {
      assert.throws(
        () => plan(REQUIREMENTS, { env: { [name]: value } }),
        (error: unknown) =>
          error instanceof ArielError && error.code === 'config-invalid' && error.message.includes(name),
        `${name}=${JSON.stringify(value)}`
      );
    }
  });

  it("expands Caliban's base image names in ARIEL_BASE_IMAGE_*", () => {
    const env = { ARIEL_BASE_IMAGE_GPU: 'dlvm:pytorch-{}-1.4' };
    assert.equal(
      plan(REQUIREMENTS, { env, accelerator: 'gpu' }).spec.baseImage,
      'gcr.io/deeplearning-platform-release/pytorch-gpu.1-4'
    );
  });

  it('treats empty ARIEL_* variables as unset', () => {
    const env = {
      ARIEL_BASE_IMAGE_CPU: '',
      ARIEL_PIP_INDEX_URL: '',
      ARIEL_PIP_EXTRA_INDEX_URL: '',
      ARIEL_BUILD_NETWORK: ''
    };
    const p = plan(REQUIREMENTS, { env });
    assert.equal(p.spec.baseImage, DEFAULT_BASE_IMAGES.cpu);
    assert.deepEqual(p.spec.pipIndex, { index: false, extraIndex: false });
    assert.deepEqual(p.buildArgs, {});
    assert.equal(p.network, undefined);
    assert.equal(p.dockerfile, plan(REQUIREMENTS).dockerfile);
  });

  it('does not read process.env when env is given', () => {
    const saved = process.env.ARIEL_BASE_IMAGE_CPU;
    process.env.ARIEL_BASE_IMAGE_CPU = 'leaked/from:process';
    try {
      assert.equal(plan(REQUIREMENTS, { env: {} }).spec.baseImage, DEFAULT_BASE_IMAGES.cpu);
    } finally {
      if (saved === undefined) {
        delete process.env.ARIEL_BASE_IMAGE_CPU;
      } else {
        process.env.ARIEL_BASE_IMAGE_CPU = saved;
      }
    }
  });

  it('merges extras from the command line with the config, once each', () => {
    const files = {
      'setup.py':
        'from setuptools import setup\nsetup(name="demo", extras_require={"dev": ["pytest"], "docs": ["sphinx"]})\n',
      '.ariel.json': '{ "extras": ["dev"] }'
    };
    const p = plan(files, { extras: ['docs', 'dev'] });
    assert.deepEqual(p.spec.dependencies.package, { kind: 'source', files: ['setup.py'], extras: ['dev', 'docs'] });
    assert.ok(p.dockerfile.includes('RUN ["pip", "install", "/tmp/ariel/package[dev,docs]"]'), p.dockerfile);
  });

  it('names the image after the project folder', () => {
    assert.equal(plan(REQUIREMENTS, { name: 'My Project_2' }).repository, 'ariel/my-project_2');
    assert.equal(plan(REQUIREMENTS, { name: 'My Project_2' }).spec.projectName, 'my-project_2');
    assert.equal(plan(REQUIREMENTS, { name: '__' }).repository, 'ariel/project');
  });

  it('builds for the host user', () => {
    // This process's ids, read independently of hostUser(); a non-root user is covered in cli/cli.cli.test.ts.
    const user = { uid: process.getuid!(), gid: process.getgid!() };
    assert.deepEqual(hostUser(), user);
    assert.deepEqual(plan(REQUIREMENTS).spec.user, user);
    assert.ok(plan(REQUIREMENTS).dockerfile.includes(`USER ${user.uid}:${user.gid}\n`));
  });

  it('applies the apt packages of the accelerator', () => {
    const files = { ...REQUIREMENTS, '.ariel.json': '{ "apt_packages": { "gpu": ["nvtop"] } }' };
    assert.deepEqual(plan(files).spec.aptPackages, []);
    assert.deepEqual(plan(files, { accelerator: 'gpu' }).spec.aptPackages, ['nvtop']);
  });
});
