import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { emptyConfig, type RunConfig } from '../project/config.js';
import type { Project } from '../project/project.js';
import { ImageRef } from './imageRef.js';
import { interactiveContainer } from './interactive.js';
import { DOCKER_RUN_FLAGS, parseDockerRunArgs, splitWords } from './runArgs.js';
import {
  CREDENTIALS_TARGET,
  DEFAULT_SHM_SIZE,
  describeSettings,
  hostConfigOf,
  parseSize,
  resolveSettings
} from './settings.js';

const cpu = ImageRef.of('ariel/p', 'notebook', 'cpu', 'a'.repeat(64));
const gpu = ImageRef.of('ariel/p', 'notebook', 'gpu', 'b'.repeat(64));

describe('run-time settings of containers', () => {
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'ariel-settings-')));
  const root = join(scratch, 'project');
  const home = join(scratch, 'home');
  const configDir = join(scratch, 'config');
  /** An environment with no user config, no gcloud and no credentials, unless a test adds them. */
  const env: NodeJS.ProcessEnv = { HOME: home, ARIEL_CONFIG_DIR: configDir, DATA: join(scratch, 'data') };
  const project = (run: RunConfig = {}): Project => ({
    root,
    configFile: join(root, '.ariel.json'),
    config: { ...emptyConfig(), run },
    warnings: []
  });
  const errorOf = (run: RunConfig, overrides?: RunConfig): string => {
    try {
      resolveSettings(project(run), { env, overrides });
    } catch (error) {
      assert.ok(error instanceof ArielError, String(error));
      assert.equal(error.code, 'config-invalid');
      return `${error.message}\n${error.hint}`;
    }
    assert.fail('no error');
  };
  let socketServer: Server;
  const socket = join(scratch, 'engine.sock');

  before(async () => {
    for (const dir of [root, home, configDir, join(scratch, 'data', 'mnist'), join(home, 'datasets', 'imagenet')]) {
      mkdirSync(dir, { recursive: true });
    }
    mkdirSync(join(root, 'local-data'));
    socketServer = createServer();
    await new Promise<void>(resolve => socketServer.listen(socket, resolve));
  });

  after(() => {
    socketServer.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('default to 1 GiB of shared memory, 4096 processes, all GPUs, no mounts and no limits', () => {
    const settings = resolveSettings(project(), { env });
    assert.equal(settings.shmSize, DEFAULT_SHM_SIZE);
    assert.equal(DEFAULT_SHM_SIZE, 1024 ** 3);
    assert.deepEqual(
      { ...settings, shmSize: undefined },
      { shmSize: undefined, mounts: [], pidsLimit: 4096, gpus: 'all', env: [], ports: [] }
    );
    const hostConfig = hostConfigOf(settings, cpu);
    assert.deepEqual(hostConfig, {
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 4096,
      Mounts: [],
      ShmSize: 1024 ** 3
    });
  });

  it('read sizes as Docker writes them', () => {
    assert.equal(parseSize('512m'), 512 * 1024 ** 2);
    assert.equal(parseSize('8g'), 8 * 1024 ** 3);
    assert.equal(parseSize('8G'), 8 * 1024 ** 3);
    assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('2048'), 2048);
    for (const bad of ['', 'big', '8x', '-1g', '0']) {
      assert.equal(parseSize(bad), undefined, bad);
    }
  });

  it('give a container its shared memory, IPC, memory, CPUs, pids limit and GPUs', () => {
    const settings = resolveSettings(project({ shm_size: '8g', memory: '16g', cpus: 2.5, pids_limit: 100, gpus: 2 }), {
      env
    });
    const hostConfig = hostConfigOf(settings, gpu);
    assert.equal(hostConfig.ShmSize, 8 * 1024 ** 3);
    assert.equal(hostConfig.Memory, 16 * 1024 ** 3);
    assert.equal(hostConfig.NanoCpus, 2_500_000_000);
    assert.equal(hostConfig.PidsLimit, 100);
    assert.deepEqual(hostConfig.DeviceRequests, [{ Driver: '', Count: 2, Capabilities: [['gpu']] }]);
    // A CPU image gets no GPU, whatever was chosen.
    assert.equal(hostConfigOf(settings, cpu).DeviceRequests, undefined);

    const host = hostConfigOf(
      resolveSettings(project({ ipc: 'host', shm_size: '8g', gpus: ['0', '3'] }), { env }),
      gpu
    );
    assert.equal(host.IpcMode, 'host');
    assert.equal(host.ShmSize, undefined);
    assert.deepEqual(host.DeviceRequests, [{ Driver: '', DeviceIDs: ['0', '3'], Capabilities: [['gpu']] }]);
    assert.deepEqual(hostConfigOf(resolveSettings(project(), { env }), gpu).DeviceRequests, [
      { Driver: '', Count: -1, Capabilities: [['gpu']] }
    ]);
  });

  it('mount sources with ~, $VAR and paths relative to the project root, read-only unless told', () => {
    const settings = resolveSettings(
      project({
        mounts: [
          { source: '~/datasets/imagenet', target: '/data/imagenet' },
          { source: '$DATA/mnist', target: '/data/mnist/', readonly: false },
          { source: 'local-data', target: '/data/local' }
        ]
      }),
      { env }
    );
    assert.deepEqual(
      settings.mounts.map(({ source, target, readonly }) => [source, target, readonly]),
      [
        [join(home, 'datasets', 'imagenet'), '/data/imagenet', true],
        [join(scratch, 'data', 'mnist'), '/data/mnist', false],
        [join(root, 'local-data'), '/data/local', true]
      ]
    );
    assert.deepEqual(hostConfigOf(settings, cpu).Mounts[0], {
      Type: 'bind',
      Source: join(home, 'datasets', 'imagenet'),
      Target: '/data/imagenet',
      ReadOnly: true
    });
  });

  it('refuse every bad mount with a message naming the entry', () => {
    const missing = errorOf({ mounts: [{ source: '~/nowhere', target: '/data/x' }] });
    assert.match(
      missing,
      /\.ariel\.json "run" mounts\[0\]: mount ~\/nowhere → \/data\/x: the source .*nowhere does not exist/
    );
    assert.match(errorOf({ mounts: [{ source: 'missing', target: '/data/x' }] }), /taken from the project root/);
    assert.match(errorOf({ mounts: [{ source: '$NOT_SET/x', target: '/data/x' }] }), /\$NOT_SET, which is not set/);
    for (const target of ['/', '/usr', '/usr/', '/opt/venv', '/opt', '/etc', root, join(root, '..')]) {
      assert.match(
        errorOf({ mounts: [{ source: home, target }] }),
        /mounts\[0\]: mount .* would hide .* in the container\.\nMount data under a folder of its own/,
        target
      );
    }
    assert.match(errorOf({ mounts: [{ source: home, target: root }] }), /would hide the project/);
    assert.match(errorOf({ mounts: [{ source: home, target: 'data' }] }), /"data" is not an absolute path/);
    assert.match(
      errorOf({ mounts: [{ source: socket, target: '/var/run/docker.sock' }] }),
      /Docker engine's socket, which would give the container root on the host/
    );
    // A folder holding the engine's socket gives the socket too.
    assert.throws(
      () =>
        resolveSettings(project({ mounts: [{ source: scratch, target: '/data/s' }] }), {
          env: { ...env, DOCKER_HOST: `unix://${socket}` }
        }),
      /mount .* → \/data\/s: the source is or holds the Docker engine's socket/
    );
    assert.match(
      errorOf(
        { mounts: [{ source: home, target: '/data' }] },
        { mounts: [{ source: join(scratch, 'data'), target: '/data', readonly: true }] }
      ),
      /the command line mounts\[0\]: mount .* → \/data: \/data is already the target of .*\.ariel\.json "run" mounts\[0\]/
    );
  });

  it("take the user config's entry for the project over the project's, and the command line over both", () => {
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({
        projects: {
          [root]: {
            run: { shm_size: '4g', gpus: ['1'], mounts: [{ source: '~/datasets/imagenet', target: '/data/in' }] }
          },
          '/some/other/project': { run: { shm_size: '1m' } }
        }
      })
    );
    try {
      const settings = resolveSettings(project({ shm_size: '2g', pids_limit: 10, mounts: [] }), {
        env,
        overrides: { pids_limit: 20, mounts: [{ source: 'local-data', target: '/data/local', readonly: true }] }
      });
      assert.equal(settings.shmSize, 4 * 1024 ** 3);
      assert.deepEqual(settings.gpus, ['1']);
      assert.equal(settings.pidsLimit, 20);
      assert.deepEqual(
        settings.mounts.map(m => [m.target, m.origin]),
        [
          ['/data/in', `${join(configDir, 'config.json')} "projects"."${root}"."run" mounts[0]`],
          ['/data/local', 'the command line mounts[0]']
        ]
      );
    } finally {
      rmSync(join(configDir, 'config.json'));
    }
  });

  it('take the docker run flags Caliban users pass, as the typed keys would', () => {
    const cases: [string, RunConfig][] = [
      [`--volume ${home}:/data`, { mounts: [{ source: home, target: '/data', readonly: false }] }],
      [`-v ${home}:/data:ro --ipc host`, { mounts: [{ source: home, target: '/data', readonly: true }], ipc: 'host' }],
      [
        `--mount type=bind,source=${home},target=/data,readonly --shm-size=8g --gpus device=0,1`,
        { mounts: [{ source: home, target: '/data', readonly: true }], shm_size: '8g', gpus: ['0', '1'] }
      ],
      [
        '--cpus 2 -m 4g --memory=4g --pids-limit 100 --gpus all',
        { cpus: 2, memory: '4g', pids_limit: 100, gpus: 'all' }
      ],
      ['--gpus 2 --shm-size 2g', { gpus: 2, shm_size: '2g' }]
    ];
    for (const [args, typed] of cases) {
      const withoutOrigins = (run: RunConfig) => {
        const settings = resolveSettings(project(run), { env });
        return { ...settings, mounts: settings.mounts.map(({ origin: _, ...mount }) => mount) };
      };
      assert.deepEqual(withoutOrigins({ docker_run_args: args }), withoutOrigins(typed), args);
    }
    const withEnv = resolveSettings(
      project({ docker_run_args: '-e A=1 --env "B=two words" -e HOME -e UNSET -p 8080:80' }),
      {
        env
      }
    );
    assert.deepEqual(withEnv.env, ['A=1', 'B=two words', `HOME=${home}`]);
    assert.deepEqual(withEnv.ports, ['8080:80']);
    // The typed keys of the same layer win over its docker run arguments.
    assert.equal(
      resolveSettings(project({ docker_run_args: '--shm-size 8g', shm_size: '2g' }), { env }).shmSize,
      2 * 1024 ** 3
    );
  });

  it('refuse any other docker run flag by name, with the list of those taken', () => {
    for (const [args, flag] of [
      ['--privileged', '--privileged'],
      ['--cap-add NET_RAW', '--cap-add'],
      ['--network=host', '--network'],
      ['-u 0', '-u'],
      ['--rm', '--rm']
    ]) {
      const message = errorOf({ docker_run_args: args });
      assert.ok(message.includes(`docker run flag ${flag} is not one Ariel takes`), message);
      assert.ok(message.includes(DOCKER_RUN_FLAGS.join(', ')), message);
    }
    assert.match(errorOf({ docker_run_args: 'ubuntu' }), /"ubuntu" in docker run arguments is not a flag/);
    assert.match(errorOf({ docker_run_args: '--shm-size' }), /--shm-size needs a value/);
    assert.match(errorOf({ docker_run_args: '--volume /only' }), /is not SOURCE:TARGET/);
    assert.match(errorOf({ docker_run_args: '--mount type=volume,target=/x' }), /not a bind mount/);
    assert.match(errorOf({ docker_run_args: "--env 'A=1" }), /inside a single quote/);
    assert.deepEqual(splitWords(`-e "A=x y" -e B='1 2' C\\ D`, 'here'), ['-e', 'A=x y', '-e', 'B=1 2', 'C D']);
    assert.deepEqual(parseDockerRunArgs('', 'here'), {});
  });

  it('mount Application Default Credentials read-only and name the cloud project, unless turned off', () => {
    const gcloud = join(home, '.config', 'gcloud');
    mkdirSync(join(gcloud, 'configurations'), { recursive: true });
    writeFileSync(join(gcloud, 'application_default_credentials.json'), '{"type": "authorized_user"}');
    writeFileSync(
      join(gcloud, 'configurations', 'config_default'),
      '[core]\naccount = me@example.com\nproject = my-proj\n'
    );
    try {
      const settings = resolveSettings(project(), { env });
      assert.deepEqual(settings.env, [
        `GOOGLE_APPLICATION_CREDENTIALS=${CREDENTIALS_TARGET}`,
        'GOOGLE_CLOUD_PROJECT=my-proj'
      ]);
      assert.deepEqual(hostConfigOf(settings, cpu).Mounts, [
        {
          Type: 'bind',
          Source: join(gcloud, 'application_default_credentials.json'),
          Target: CREDENTIALS_TARGET,
          ReadOnly: true
        }
      ]);
      assert.equal(describeSettings(settings).cloud_credentials, true);

      const explicit = join(scratch, 'key.json');
      writeFileSync(explicit, '{"type": "service_account"}');
      const fromEnv = resolveSettings(project(), {
        env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: explicit, GOOGLE_CLOUD_PROJECT: 'env-proj' }
      });
      assert.equal(fromEnv.credentials, explicit);
      assert.ok(fromEnv.env.includes('GOOGLE_CLOUD_PROJECT=env-proj'));

      for (const off of [project({ cloud_credentials: false }), project()]) {
        const overrides = off.config.run.cloud_credentials === false ? undefined : { cloud_credentials: false };
        const none = resolveSettings(off, { env, overrides });
        assert.deepEqual([none.credentials, none.env], [undefined, []]);
      }
    } finally {
      rmSync(join(home, '.config'), { recursive: true, force: true });
    }
  });

  it('reach the create options of kernels and shells, so spares match only equal settings', () => {
    const base = { image: cpu, role: 'kernel' as const, cwd: root, cmd: ['x'], env };
    const plain = interactiveContainer({ ...base, project: project() });
    const bigger = interactiveContainer({ ...base, project: project({ shm_size: '2g' }) });
    assert.notDeepEqual(plain, bigger);
    assert.deepEqual(plain, interactiveContainer({ ...base, project: project() }));
    const shell = interactiveContainer({
      ...base,
      role: 'shell',
      project: project({ docker_run_args: `-p 127.0.0.1:8888:8888 -e X=1 -v ${home}:/data` })
    });
    assert.deepEqual(shell.ExposedPorts, { '8888/tcp': {} });
    assert.deepEqual(shell.HostConfig.PortBindings, { '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '8888' }] });
    assert.ok(shell.Env.includes('X=1'));
    assert.deepEqual(
      shell.HostConfig.Mounts.map(m => m.Target),
      [root, '/data']
    );
  });
});
