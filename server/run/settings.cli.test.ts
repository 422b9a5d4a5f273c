/**
 * What `ariel run` and `ariel shell` containers may do, as the code inside them sees it:
 * confinement (no capabilities, no privilege gain, a pids limit) and the project's run-time
 * settings, read from inside the real containers the real CLI starts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../testing/cli.js';
import { imagesOf, removeImagesOf } from '../testing/docker.js';
import { assertConfined, PROBE, probeIn, SHM_PROBE } from '../testing/confinement.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';

/** Reads a file under the mounted dataset, tries to write beside it, and reads the credentials. */
const DATA_PROBE = `import os
print('DATA', open('/data/mnist/labels.txt').read().strip())
try:
    open('/data/mnist/new.txt', 'w').write('x')
    print('WRITE ok')
except OSError as error:
    print('WRITE refused', error.errno)
path = os.environ.get('GOOGLE_APPLICATION_CREDENTIALS')
print('ADC', path, open(path).read() if path else None, os.environ.get('GOOGLE_CLOUD_PROJECT'))
`;

/** Prints the memory and CPU limits of its cgroup, then forks until refused, as a fork bomb would. */
const LIMITS_PROBE = `import os, time
def read(*paths):
    return next((open(p).read().strip() for p in paths if os.path.exists(p)), None)
print('MEMORY', read('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'))
print('CPU', read('/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'))
children = []
try:
    for _ in range(1000):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
    print('FORKED all')
except OSError:
    print('FORK refused after', len(children))
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
`;

describe('the containers of ariel run and ariel shell', () => {
  let project: string;
  /** A dataset outside the project, and a generated credentials file with a secret no image may hold. */
  let data: string;
  let credentials: string;
  const secret = `ariel-test-secret-${randomBytes(8).toString('hex')}`;
  const cli = (args: string[], stdin?: string, env: Record<string, string | undefined> = {}) =>
    runCli(args, { cwd: project, stdin, env: { GOOGLE_APPLICATION_CREDENTIALS: undefined, ...env } });

  before(() => {
    project = tempProject(
      {
        'requirements.txt': 'six\n',
        '.ariel.json': '{}\n',
        'probe.py': PROBE,
        'shm.py': SHM_PROBE,
        'data.py': DATA_PROBE,
        'limits.py': LIMITS_PROBE
      },
      'runsettings'
    );
    data = join(project, '..', 'datasets', 'mnist');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'labels.txt'), 'seven\n');
    credentials = join(project, '..', 'adc.json');
    writeFileSync(credentials, JSON.stringify({ type: 'authorized_user', refresh_token: secret }));
  });

  after(() => {
    removeImagesOf(project);
    removeTempProjects();
  });

  it('run as root without capabilities, without privilege gain, and with the default pids limit', async () => {
    const run = await cli(['run', 'probe.py']);
    assert.equal(run.code, 0, run.stderr);
    assertConfined(probeIn(run.stdout), '4096');

    const shell = await cli(['shell'], 'python probe.py\n');
    assert.equal(shell.code, 0, shell.stderr);
    assertConfined(probeIn(shell.stdout), '4096');
  });

  it('take the pids limit from the project\'s "run" settings', async () => {
    writeFiles(project, { '.ariel.json': '{"run": {"pids_limit": 321}}\n' });
    const run = await cli(['run', 'probe.py']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(probeIn(run.stdout).pids, '321');
    const shell = await cli(['shell'], 'python probe.py\n');
    assert.equal(shell.code, 0, shell.stderr);
    assert.equal(probeIn(shell.stdout).pids, '321');
    writeFiles(project, { '.ariel.json': '{}\n' });
  });

  it('hold a fork bomb at the pids limit, and keep to the memory and CPU limits asked for', async () => {
    const run = await cli(['run', 'limits.py', '--pids-limit', '50', '--memory', '256m', '--cpus', '0.5']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /MEMORY 268435456\n/);
    assert.match(run.stdout, /CPU (50000 100000|50000)\n/);
    const refused = /FORK refused after (\d+)/.exec(run.stdout);
    assert.ok(refused && Number(refused[1]) < 50, run.stdout);
    const shell = await cli(['shell', '--docker-run-args', '--pids-limit 60 -m 256m'], 'python limits.py\n');
    assert.equal(shell.code, 0, `${shell.stdout}\n${shell.stderr}`);
    assert.match(shell.stdout, /MEMORY 268435456\n/);
    assert.match(shell.stdout, /FORK refused after \d+/);
  });

  it('give two processes 512 MB of shared memory by default', async () => {
    const run = await cli(['run', 'shm.py']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /SHM OK 512/);
    const shell = await cli(['shell'], 'python shm.py\n');
    assert.equal(shell.code, 0, `${shell.stdout}\n${shell.stderr}`);
    assert.match(shell.stdout, /SHM OK 512/);
  });

  it('mount data read-only by default, read-write on request, with the credentials', async () => {
    const env = { GOOGLE_APPLICATION_CREDENTIALS: credentials, GOOGLE_CLOUD_PROJECT: 'test-proj' };
    const dry = await cli(['run', 'data.py', '--mount', `${data}:/data/mnist`, '--dry-run', '--json'], undefined, env);
    assert.equal(dry.code, 0, dry.stderr);
    const [planned] = JSON.parse(dry.stdout) as { container: Record<string, unknown> }[];
    assert.deepEqual(planned.container.mounts, [{ source: data, target: '/data/mnist', readonly: true }]);
    assert.equal(planned.container.shm_size, 1024 ** 3);
    assert.equal(planned.container.cloud_credentials, true);
    assert.ok(!dry.stdout.includes(secret));

    const run = await cli(['run', 'data.py', '--mount', `${data}:/data/mnist`], undefined, env);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /DATA seven/);
    assert.match(run.stdout, /WRITE refused 30/);
    assert.match(run.stdout, new RegExp(`ADC /run/ariel/application_default_credentials.json .*${secret}.* test-proj`));

    const shell = await cli(['shell', '--mount', `${data}:/data/mnist:rw`], 'python data.py\n', env);
    assert.equal(shell.code, 0, `${shell.stdout}\n${shell.stderr}`);
    assert.match(shell.stdout, /DATA seven/);
    assert.match(shell.stdout, /WRITE ok/);
    assert.match(shell.stdout, new RegExp(`ADC /run/ariel/application_default_credentials.json .*${secret}`));

    const off = await cli(
      ['run', 'data.py', '--mount', `${data}:/data/mnist`, '--no-cloud-credentials'],
      undefined,
      env
    );
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /ADC None None None/);

    // The same through Caliban's flags.
    const caliban = await cli(['run', 'data.py', '--docker-run-args', `--volume ${data}:/data/mnist:ro --shm-size 2g`]);
    assert.equal(caliban.code, 0, caliban.stderr);
    assert.match(caliban.stdout, /DATA seven/);
    assert.match(caliban.stdout, /WRITE refused 30/);
  });

  it('leave the credentials out of every image Ariel built, the cloud image too', async () => {
    const cloud = await cli(['build', '--mode', 'cloud'], undefined, { GOOGLE_APPLICATION_CREDENTIALS: credentials });
    assert.equal(cloud.code, 0, cloud.stderr);
    const images = imagesOf(project);
    assert.ok(images.some(image => image.includes(':cloud-')) && images.length >= 3, images.join(', '));
    for (const image of images) {
      const history = execFileSync('docker', ['history', '--no-trunc', image], { encoding: 'utf8' });
      assert.ok(!history.includes(secret), `${image} history`);
      const saved = spawnSync(
        'sh',
        ['-c', `docker save ${image} | tar -xO --wildcards '*.tar' 2>/dev/null | grep -c -a ${secret}`],
        {
          encoding: 'utf8'
        }
      );
      assert.equal(saved.stdout.trim(), '0', `${image} layers hold the credentials`);
    }
  });

  it('refuse a bad mount before building, naming it', async () => {
    const missing = await cli(['run', 'probe.py', '--mount', '/nowhere/at/all:/data/x']);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /the command line mounts\[0\]: mount \/nowhere\/at\/all → \/data\/x: the source \/nowhere\/at\/all does not exist/
    );
    const hiding = await cli(['shell', '--mount', `${data}:${project}`]);
    assert.equal(hiding.code, 1);
    assert.match(hiding.stderr, /would hide the project/);
    const flag = await cli(['run', 'probe.py', '--docker-run-args', '--privileged']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /docker run flag --privileged is not one Ariel takes/);
    const sweep = await cli(['run', 'probe.py', '--gpus-per-job', '1', '--dry-run']);
    assert.equal(sweep.code, 1);
    assert.match(sweep.stderr, /--gpus-per-job shares GPUs between jobs, and this run has none/);
  });
});
