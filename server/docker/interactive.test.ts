import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyConfig } from '../project/config.js';
import type { Project } from '../project/project.js';
import { kernelContainer } from '../kernels/container.js';
import { ImageRef } from './imageRef.js';
import { interactiveContainer } from './interactive.js';
import { LABELS } from './labels.js';

const project: Project = { root: '/home/me/digits', config: { ...emptyConfig(), env: ['WANDB_KEY'] }, warnings: [] };
const cpu = ImageRef.of('ariel/digits', 'notebook', 'cpu', 'a'.repeat(64));
const gpu = ImageRef.of('ariel/digits', 'notebook', 'gpu', 'b'.repeat(64));
const launcher = { pid: 42, host: 'box', started: '123', uid: 1000, server: { pid: 7, started: '99' } };

describe('interactive containers', () => {
  it('get GPU device requests from a GPU image only', () => {
    const onCpu = interactiveContainer({ project, image: cpu, role: 'shell', cwd: project.root, cmd: ['bash'] });
    const onGpu = interactiveContainer({ project, image: gpu, role: 'shell', cwd: project.root, cmd: ['bash'] });
    assert.equal(onCpu.HostConfig.DeviceRequests, undefined);
    assert.deepEqual(onGpu.HostConfig.DeviceRequests?.[0].Capabilities, [['gpu']]);
    assert.equal(onCpu.Image, cpu.name);
  });

  it('mount the project live at its own path, start in the caller folder inside it, and pass configured variables', () => {
    const create = interactiveContainer({
      project,
      image: cpu,
      role: 'shell',
      cwd: '/home/me/digits/notebooks',
      cmd: ['bash'],
      env: { WANDB_KEY: 'k', OTHER: 'x' }
    });
    assert.deepEqual(create.HostConfig.Mounts, [{ Type: 'bind', Source: project.root, Target: project.root }]);
    assert.equal(create.WorkingDir, '/home/me/digits/notebooks');
    assert.deepEqual(create.Env, ['PYTHONPATH=/home/me/digits', 'WANDB_KEY=k']);
    assert.equal(
      interactiveContainer({ project, image: cpu, role: 'shell', cwd: '/elsewhere', cmd: ['bash'] }).WorkingDir,
      project.root
    );
  });

  it('drop every capability, forbid privilege gain and limit processes, as the project may set', () => {
    const create = interactiveContainer({ project, image: cpu, role: 'shell', cwd: project.root, cmd: ['bash'] });
    assert.deepEqual(create.HostConfig.CapDrop, ['ALL']);
    assert.equal(create.HostConfig.CapAdd, undefined);
    assert.deepEqual(create.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.equal(create.HostConfig.PidsLimit, 4096);
    const limited = { ...project, config: { ...project.config, run: { pids_limit: 50 } } };
    assert.equal(
      interactiveContainer({ project: limited, image: cpu, role: 'kernel', cwd: project.root, cmd: ['x'] }).HostConfig
        .PidsLimit,
      50
    );
  });

  it('carry the role and project labels; kernels add their launcher', () => {
    const { create, cleanup } = kernelContainer({
      project,
      image: gpu,
      connectionFile: '/run/user/kernel-1.json',
      cwd: project.root,
      network: 'host',
      launcher
    });
    cleanup();
    assert.deepEqual(create.Labels, {
      [LABELS.role]: 'kernel',
      [LABELS.project]: project.root,
      [LABELS.launcherPid]: '42',
      [LABELS.launcherHost]: 'box',
      [LABELS.launcherStarted]: '123',
      [LABELS.launcherUid]: '1000',
      [LABELS.serverPid]: '7',
      [LABELS.serverStarted]: '99'
    });
    assert.deepEqual(create.HostConfig?.DeviceRequests?.[0].Capabilities, [['gpu']]);
    assert.deepEqual(create.HostConfig?.Mounts?.[1], {
      Type: 'bind',
      Source: '/run/user/kernel-1.json',
      Target: '/run/user/kernel-1.json',
      ReadOnly: true
    });
  });
});
