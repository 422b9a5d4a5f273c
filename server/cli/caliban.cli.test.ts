/**
 * Caliban's command-line flags that a migrating user reaches for, on the real CLI and a real
 * Docker engine: `--no-cache`, `shell --shell`. The tests run in order on one project.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { History } from '../history/store.js';
import { runCli, startCli, type CliResult } from '../testing/cli.js';
import { eventually } from '../testing/eventually.js';
import { danglingImages, removeDanglingSince, removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** The lines of a text, sorted: for output whose stdout and stderr lines may interleave either way. */
function unordered(text: string): string[] {
  return text.split('\n').filter(Boolean).sort();
}

function imageId(name: string): string {
  return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', name], { encoding: 'utf8' }).trim();
}

/** The image a command built or found, from its progress lines on stderr. */
function imageOf(result: CliResult): string {
  const match = /^(?:Built|Image is up to date:) (\S+)$/m.exec(result.stderr);
  assert.ok(match, show(result));
  return match[1];
}

describe('Caliban flags on a real Docker engine', { timeout: 1_200_000 }, () => {
  const started = Date.now();
  const dangling = danglingImages();
  let root: string;
  before(() => {
    root = tempProject(
      {
        'requirements.txt': 'six\n',
        'trainer/__init__.py': '',
        'trainer/train.py': 'import six\nprint("trained with six", six.__version__)\n'
      },
      `ariel-caliban-${process.pid}`
    );
  });
  after(() => {
    spawnSync('docker', ['ps', '-aq', '--filter', `label=org.ariel.project=${root}`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .forEach(id => spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' }));
    removeImagesOf(root);
    removeDanglingSince(started, dangling);
    removeTempProjects();
  });

  describe('--no-cache', () => {
    it('rebuilds an existing image from scratch on build, where a plain build finds it', async () => {
      const first = await runCli(['build', '--mode', 'run'], { cwd: root });
      assert.equal(first.code, 0, show(first));
      const name = first.stdout.trim().split('\n').at(-1)!;
      const before = imageId(name);

      const again = await runCli(['build', '--mode', 'run'], { cwd: root });
      assert.equal(again.code, 0, show(again));
      assert.match(again.stderr, /up to date/, show(again));
      assert.equal(imageId(name), before);

      const fresh = await runCli(['build', '--mode', 'run', '--no-cache'], { cwd: root });
      assert.equal(fresh.code, 0, show(fresh));
      assert.equal(fresh.stdout.trim().split('\n').at(-1), name, 'the same content keeps its name');
      assert.match(fresh.stderr, /^Step 1\//m, show(fresh));
      assert.doesNotMatch(fresh.stderr, /up to date|Using cache/, show(fresh));
      // pip ran again: the step's output is there, and the image is a new one.
      assert.match(fresh.stderr, /six/, show(fresh));
      assert.notEqual(imageId(name), before);
    });

    it('rebuilds the image of ariel run and ariel shell before using it', async () => {
      const plain = await runCli(['run', 'trainer.train'], { cwd: root });
      assert.equal(plain.code, 0, show(plain));
      const image = imageOf(plain);
      const before = imageId(image);

      const run = await runCli(['run', 'trainer.train', '--no-cache'], { cwd: root });
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout, /trained with six/, show(run));
      assert.match(run.stderr, new RegExp(`^Built ${image}$`, 'm'), show(run));
      assert.notEqual(imageId(image), before);

      const shell = await runCli(['shell', '--no-cache'], { cwd: root, stdin: 'echo in-the-shell\n' });
      assert.equal(shell.code, 0, show(shell));
      assert.match(shell.stdout, /in-the-shell/, show(shell));
      assert.match(shell.stderr, /^Built \S+:shell-cpu-/m, show(shell));
      const shellImage = imageOf(shell);
      const shellBefore = imageId(shellImage);
      const again = await runCli(['shell', '--no-cache'], { cwd: root, stdin: 'exit 0\n' });
      assert.equal(again.code, 0, show(again));
      assert.notEqual(imageId(shellImage), shellBefore);
    });
  });

  describe('shell --shell', () => {
    const probe = 'echo "bash=${BASH_VERSION:-none} zsh=${ZSH_VERSION:-none}"\n';

    it('opens bash by default, and sh when asked', async () => {
      const bash = await runCli(['shell'], { cwd: root, stdin: probe });
      assert.equal(bash.code, 0, show(bash));
      assert.match(bash.stdout, /^bash=\d\S* zsh=none$/m, show(bash));
      const sh = await runCli(['shell', '--shell', 'sh'], { cwd: root, stdin: probe });
      assert.equal(sh.code, 0, show(sh));
      assert.match(sh.stdout, /^bash=none zsh=none$/m, show(sh));
    });

    it('says how to get zsh into an image that lacks it, and opens it in one that has it', async () => {
      const missing = await runCli(['shell', '--shell', 'zsh'], { cwd: root, stdin: probe });
      assert.equal(missing.code, 127, show(missing));
      assert.match(missing.stderr, /zsh is not installed in the shell image\. Add it to apt_packages/, show(missing));
      assert.doesNotMatch(missing.stdout, /bash=/, show(missing));

      writeFileSync(join(root, '.ariel.json'), '{ "apt_packages": ["zsh"] }\n');
      const zsh = await runCli(['shell', '--shell', 'zsh'], { cwd: root, stdin: probe });
      assert.equal(zsh.code, 0, show(zsh));
      assert.match(zsh.stdout, /^bash=none zsh=\d\S*$/m, show(zsh));
    });

    it('refuses a shell it does not offer, naming the choices', async () => {
      const result = await runCli(['shell', '--shell', 'fish'], { cwd: root });
      assert.equal(result.code, 1, show(result));
      assert.match(result.stderr, /Allowed choices are bash, zsh, sh/, show(result));
    });
  });

  describe('run --append', () => {
    it('adds jobs to an existing run, numbered after its last, and says how when the name is reused', async () => {
      const env = { ARIEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'ariel-data-')) };
      const first = await runCli(['run', 'trainer.train', '--name', 'grow'], { cwd: root, env });
      assert.equal(first.code, 0, show(first));
      const reused = await runCli(['run', 'trainer.train', '--name', 'grow'], { cwd: root, env });
      assert.equal(reused.code, 1, show(reused));
      assert.match(
        reused.stderr,
        /A job group named grow exists already\.\n.*or pass --append to add these jobs to it/
      );
      const noName = await runCli(['run', 'trainer.train', '--append'], { cwd: root, env });
      assert.equal(noName.code, 1, show(noName));
      assert.match(noName.stderr, /no --name was given/);

      const more = await runCli(
        ['run', 'trainer.train', '--name', 'grow', '--append', '--experiment-config', 'stdin'],
        { cwd: root, env, stdin: '{"seed": [1, 2]}' }
      );
      assert.equal(more.code, 0, show(more));
      // Each line names its job among the group's three, not among the two just added.
      assert.deepEqual(
        more.stdout.split('\n').flatMap(line => /^(\[job \S+\]) trained with six/.exec(line)?.[1] ?? []),
        ['[job 2/3]', '[job 3/3]'],
        show(more)
      );
      const status = await runCli(['status', '--group', 'grow', '--json'], { cwd: root, env });
      assert.equal(status.code, 0, show(status));
      const jobs = JSON.parse(status.stdout) as {
        experiment: number;
        displayName: string;
        args: string[];
        state: string;
      }[];
      assert.deepEqual(
        jobs.map(j => [j.displayName, j.args.join(' '), j.state]),
        [
          ['grow-1', '', 'JOB_STATE_SUCCEEDED'],
          ['grow-2', '--seed 1', 'JOB_STATE_SUCCEEDED'],
          ['grow-3', '--seed 2', 'JOB_STATE_SUCCEEDED']
        ]
      );
    });
  });

  describe('ariel logs', () => {
    const env = { ARIEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'ariel-data-')) };
    before(() => {
      writeFileSync(
        join(root, 'talk.py'),
        [
          'import os, sys, time',
          'print("hello from", " ".join(sys.argv[1:]), flush=True)',
          'print("to stderr", file=sys.stderr, flush=True)',
          'while "--wait" in sys.argv and not os.path.exists("/tmp/go"):',
          '    time.sleep(0.2)',
          'print("bye", flush=True)',
          ''
        ].join('\n')
      );
    });

    it("prints every job's kept output, or one job's, after the run's containers are gone", async () => {
      const run = await runCli(['run', 'talk.py', '--name', 'talk', '--experiment-config', 'stdin'], {
        cwd: root,
        env,
        stdin: '{"seed": [1, 2]}'
      });
      assert.equal(run.code, 0, show(run));
      const all = await runCli(['logs', 'talk'], { cwd: root, env });
      assert.equal(all.code, 0, show(all));
      // A job's stdout and stderr lines keep their order within each stream.
      const [first, second] = all.stdout.split('\n==> talk-2 <==\n');
      assert.ok(first.startsWith('==> talk-1 <==\n'), show(all));
      assert.deepEqual(
        unordered(first.slice('==> talk-1 <==\n'.length)),
        unordered('hello from --seed 1\nto stderr\nbye')
      );
      assert.deepEqual(unordered(second), unordered('hello from --seed 2\nto stderr\nbye'));
      // Within stdout, in order (the stderr line may come before or after either).
      assert.match(second.replace('to stderr\n', ''), /hello from --seed 2\nbye\n$/);
      const one = await runCli(['logs', 'talk', '--job', '2'], { cwd: root, env });
      assert.equal(one.code, 0, show(one));
      assert.equal(one.stdout, second);
      const missing = await runCli(['logs', 'talk', '--job', '3'], { cwd: root, env });
      assert.equal(missing.code, 1, show(missing));
      assert.match(missing.stderr, /Job group talk has no job 3/);
      const unknown = await runCli(['logs', 'nobody'], { cwd: root, env });
      assert.equal(unknown.code, 1, show(unknown));
      assert.match(unknown.stderr, /No job group named nobody/);
    });

    it('follows a running job until it ends, and keeps what a killed run wrote', async () => {
      // The job waits for /tmp/go in its container.
      const go = (group: string) => {
        const id = execFileSync('docker', ['ps', '-q', '--filter', `label=org.ariel.group=${group}`], {
          encoding: 'utf8'
        }).trim();
        execFileSync('docker', ['exec', id, 'touch', '/tmp/go']);
      };
      const run = startCli(['run', 'talk.py', '--name', 'follow', '--', '--wait'], { cwd: root, env });
      await eventually(() => /hello from --wait/.test(run.output().stdout), 'the job to start talking', 300_000);
      const follow = startCli(['logs', 'follow', '--follow'], { cwd: root, env });
      await eventually(() => /hello from --wait/.test(follow.output().stdout), 'logs --follow to print the first line');
      assert.equal(follow.child.exitCode, null, 'logs --follow waits for the running job');
      go('follow');
      const followed = await follow.result;
      assert.equal(followed.code, 0, show(followed));
      assert.deepEqual(unordered(followed.stdout), unordered('hello from --wait\nto stderr\nbye'));
      assert.match(followed.stdout.replace('to stderr\n', ''), /bye\n$/);
      assert.equal((await run.result).code, 0);

      const killed = startCli(['run', 'talk.py', '--name', 'killed', '--', '--wait'], { cwd: root, env });
      await eventually(() => /to stderr/.test(killed.output().stderr), 'the job to start talking', 300_000);
      killed.child.kill('SIGKILL');
      await killed.result;
      const kept = await runCli(['logs', 'killed'], { cwd: root, env });
      assert.equal(kept.code, 0, show(kept));
      assert.deepEqual(unordered(kept.stdout), unordered('hello from --wait\nto stderr'));
      go('killed');
    });
  });

  describe('--image', () => {
    it('runs and opens a shell in an existing image, by name or id, building nothing; the history keeps the name given', async () => {
      const env = { ARIEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'ariel-data-')) };
      writeFileSync(join(root, 'version.py'), 'print("version 1")\n');
      const built = await runCli(['build', '--mode', 'run'], { cwd: root });
      assert.equal(built.code, 0, show(built));
      const image = built.stdout.trim().split('\n').pop()!;
      // The project moves on: its own image would now print version 2.
      writeFileSync(join(root, 'version.py'), 'print("version 2")\n');

      for (const given of [image, imageId(image)]) {
        const run = await runCli(['run', 'version.py', '--image', given, '--name', `given-${given.length}`], {
          cwd: root,
          env
        });
        assert.equal(run.code, 0, show(run));
        assert.match(run.stdout, /^\[job 1\/1\] version 1$/m, show(run));
        assert.match(
          run.stderr,
          new RegExp(`^Using the image given: ${given.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm')
        );
        assert.doesNotMatch(run.stderr, /^(Built|Step) /m, show(run));
        const status = await runCli(['status', '--group', `given-${given.length}`, '--json'], { cwd: root, env });
        assert.equal(status.code, 0, show(status));
        assert.deepEqual(
          (JSON.parse(status.stdout) as { image: string }[]).map(job => job.image),
          [given]
        );
      }

      // The run image has the code it was built with in /app; the project is live-mounted as always.
      const shell = await runCli(['shell', '--image', image], {
        cwd: root,
        stdin: `python3 /app/version.py; python3 ${join(root, 'version.py')}\n`
      });
      assert.equal(shell.code, 0, show(shell));
      assert.deepEqual(shell.stdout.split('\n').filter(Boolean), ['version 1', 'version 2'], show(shell));
      assert.doesNotMatch(shell.stderr, /^(Built|Step) /m, show(shell));
    });

    it('says so when the image is not on the engine and cannot be pulled, and refuses options that shape a build', async () => {
      for (const command of ['run', 'shell']) {
        const args = command === 'run' ? ['run', 'version.py'] : ['shell'];
        const missing = await runCli([...args, '--image', '127.0.0.1:9/ariel-missing:1'], { cwd: root, stdin: '' });
        assert.equal(missing.code, 1, show(missing));
        assert.match(
          missing.stderr,
          /No image 127\.0\.0\.1:9\/ariel-missing:1 on this engine, and pulling it failed: .*\n.*Name an image docker images lists/,
          show(missing)
        );
        assert.doesNotMatch(missing.stderr, /^(Built|Step) /m, show(missing));
      }
      const id = await runCli(['run', 'version.py', '--image', `sha256:${'0'.repeat(64)}`], { cwd: root });
      assert.equal(id.code, 1, show(id));
      assert.match(id.stderr, /No image sha256:0{64} on this engine, and an image id cannot be pulled\./, show(id));
      const bad = await runCli(['run', 'version.py', '--image', 'Not An Image'], { cwd: root });
      assert.equal(bad.code, 1, show(bad));
      assert.match(bad.stderr, /--image "Not An Image" contains a space\./, show(bad));
      const both = await runCli(['run', 'version.py', '--image', 'x:1', '--no-cache'], { cwd: root });
      assert.equal(both.code, 1, show(both));
      assert.match(both.stderr, /--image uses an existing image, and --no-cache shape/, show(both));
    });
  });

  describe('"mlflow"', () => {
    it('gives each job its MLflow variables, run named GROUP-INDEX, and the history keeps them', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
      const env = { ARIEL_DATA_DIR: dataDir, ARIEL_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'ariel-config-')) };
      const configFile = join(root, '.ariel.json');
      const config = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as object) : {};
      writeFileSync(
        configFile,
        JSON.stringify({ ...config, mlflow: { tracking_uri: 'file:///tmp/mlruns', experiment: 'digits' } })
      );
      writeFileSync(
        join(root, 'mlflow_env.py'),
        'import os\nfor name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_NAME"):\n    print(f"{name}={os.environ.get(name)}")\n'
      );
      const run = await runCli(['run', 'mlflow_env.py', '--name', 'tracked', '--experiment-config', 'stdin'], {
        cwd: root,
        env,
        stdin: '{"seed": [1, 2]}'
      });
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(
        run.stdout.split('\n').filter(line => line.includes('MLFLOW_')),
        [1, 2].flatMap(n => [
          `[job ${n}/2] MLFLOW_TRACKING_URI=file:///tmp/mlruns`,
          `[job ${n}/2] MLFLOW_EXPERIMENT_NAME=digits`,
          `[job ${n}/2] MLFLOW_RUN_NAME=tracked-${n}`
        ]),
        show(run)
      );
      const history = await History.open(dataDir);
      try {
        assert.deepEqual(
          history.jobs({ group: 'tracked' }).map(job => (job.spec as { mlflow?: unknown }).mlflow),
          [1, 2].map(n => ({ trackingUri: 'file:///tmp/mlruns', experiment: 'digits', runName: `tracked-${n}` }))
        );
      } finally {
        history.close();
      }
    });
  });
});
