import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ARIEL_BIN, runCli, startCli, testUser, type CliResult } from '../testing/cli.js';
import { eventually } from '../testing/eventually.js';
import { containersOf, engineHasGpu, imagesOf } from '../testing/docker.js';
import { imageNameOf } from '../project/project.js';
import { GpuEngine } from '../testing/gpuEngine.js';
import { Terminal } from '../testing/terminal.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

// Integration tests of the CLI on a real Docker engine. Machine defaults (base image, pip
// index, build network) come from the ARIEL_* variables of the environment the tests run in.

const ROLE_LABEL = 'org.ariel.role';
const STACK_LINE = /^ {4}at /m;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
}

function dockerSucceeds(...args: string[]): boolean {
  return spawnSync('docker', args, { stdio: 'ignore' }).status === 0;
}

function lines(text: string): string[] {
  return text.split('\n').filter(Boolean);
}

function lastLine(text: string): string {
  return lines(text).at(-1) ?? '';
}

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, show(result));
}

/** A failure a user can read: non-zero, Ariel's message on stderr, no stack trace. */
function assertCleanFailure(result: CliResult): void {
  assert.notEqual(result.code, 0, show(result));
  assert.ok(result.code !== null, show(result));
  assert.match(result.stderr, /^ariel: /m, show(result));
  assert.doesNotMatch(result.stderr, /unexpected error/, show(result));
  assert.doesNotMatch(result.stderr, STACK_LINE, show(result));
}

function layersOf(image: string): string[] {
  return JSON.parse(docker('image', 'inspect', '--format', '{{json .RootFS.Layers}}', image)) as string[];
}

/** `[job N/M] ARGS [...]` lines printed by the sample trainer, in output order. */
function jobArgs(stdout: string): { index: number; total: number; args: string[] }[] {
  return lines(stdout)
    .map(line => /^\[job (\d+)\/(\d+)\] ARGS (.*)$/.exec(line))
    .filter(match => match !== null)
    .map(match => ({ index: Number(match[1]), total: Number(match[2]), args: JSON.parse(match[3]) as string[] }));
}

// --- Bookkeeping, so that the suite leaves no image, container or folder behind. ---

const projectRoots = new Set<string>();

/** A temp project with a unique name (the image repository is derived from it). */
function project(kind: string, files: Record<string, string>): string {
  const root = tempProject(files, `ariel-cli-${kind}-${randomBytes(3).toString('hex')}`);
  projectRoots.add(root);
  return root;
}

function repositoryOf(root: string): string {
  return imageNameOf({ root });
}

/** Containers Ariel labelled that belong to this suite's projects (or to none, like GPU probes). */
function leftoverContainers(): string[] {
  return lines(
    docker('ps', '-a', '--filter', `label=${ROLE_LABEL}`, '--format', '{{.ID}} {{.Label "org.ariel.project"}}')
  )
    .map(line => line.split(' '))
    .filter(([, root]) => !root || projectRoots.has(root))
    .map(([id]) => id);
}

function removeBuiltImages(): void {
  for (const root of projectRoots) {
    const refs = imagesOf(root);
    if (refs.length > 0) {
      spawnSync('docker', ['rmi', '--force', ...refs], { stdio: 'ignore' });
    }
  }
  // The untagged intermediate stages stay: on an engine shared with other builds, an untagged
  // image made meanwhile may be a stage that another build is about to copy from.
}

after(() => {
  try {
    const containers = leftoverContainers();
    if (containers.length > 0) {
      spawnSync('docker', ['rm', '--force', ...containers], { stdio: 'ignore' });
    }
    removeBuiltImages();
  } finally {
    removeTempProjects();
  }
});

// --- Shared fixtures. ---

const TRAINER = `import json
import sys

import six  # noqa: F401  (proves the requirements are installed)

args = sys.argv[1:]
print("ARGS " + json.dumps(args))
sys.exit(3 if "--fail" in args else 0)
`;

function trainerFiles(): Record<string, string> {
  return {
    'requirements.txt': 'six\n',
    'trainer/__init__.py': '',
    'trainer/train.py': TRAINER
  };
}

/** Experiment configs live outside the projects: adding a file to a project changes its run image. */
const configs = tempProject({
  'grid.json': JSON.stringify({ lr: [0.1, 0.01], deep: [true, false] }),
  'one-fails.json': JSON.stringify({ fail: [false, true, false] }),
  'bad.json': '{\n  "lr": [0.1, 0.01]\n  "deep": true\n}\n',
  'expand.json': '// comments are allowed\n{"a": [1, 2], "b": "x", "c": true, "d": false}\n'
});

/** The jobs grid.json gives with `-- --base 1`: passthrough first, then flags in key order. */
const GRID_JOBS = [
  ['--base', '1', '--lr', '0.1', '--deep'],
  ['--base', '1', '--lr', '0.1'],
  ['--base', '1', '--lr', '0.01', '--deep'],
  ['--base', '1', '--lr', '0.01']
];

describe('ariel CLI on a real Docker engine', { timeout: 1_200_000 }, () => {
  // These tests run in order on one project and build on each other: the run image built
  // second is reused by the runs after it, and the edits accumulate.
  describe('one project: build, run, shell and edits', () => {
    const root = project('main', {
      ...trainerFiles(),
      'sleeper.py': 'import time\n\nprint("sleeping", flush=True)\ntime.sleep(60)\nprint("slept", flush=True)\n',
      'data.txt': 'a normal file\n',
      'notes.secret': 'listed in .dockerignore\n',
      '.dockerignore': '*.secret\n',
      '.venv/pyvenv.cfg': 'home = /usr/bin\n',
      '.venv/bin/python': '',
      '.git/HEAD': 'ref: refs/heads/main\n'
    });
    let runImage = '';

    it('prints the same Dockerfile twice, without the pip index URL in it', async () => {
      const first = await runCli(['dockerfile', '--mode', 'run'], { cwd: root });
      const second = await runCli(['dockerfile', '--mode', 'run'], { cwd: root });
      assertSucceeded(first);
      assertSucceeded(second);
      assert.equal(first.stdout, second.stdout);
      assert.match(first.stdout, /^FROM /m);
      assert.match(first.stdout, /pip", "install", "-r"/);
      // The index URLs reach the build as arguments only, whatever the machine's are.
      const index = {
        ARIEL_PIP_INDEX_URL: 'http://index.invalid/simple',
        ARIEL_PIP_EXTRA_INDEX_URL: 'http://extra.invalid/simple'
      };
      const withIndex = await runCli(['dockerfile', '--mode', 'run'], { cwd: root, env: index });
      assertSucceeded(withIndex);
      assert.match(withIndex.stdout, /PIP_INDEX_URL=\\"\$FTP_PROXY\\" PIP_EXTRA_INDEX_URL=\\"\$ftp_proxy\\" exec pip/);
      assert.doesNotMatch(withIndex.stdout, /\.invalid/);
    });

    it('builds the run image, prints its reference last, and finds it again without rebuilding', async () => {
      const first = await runCli(['build', '--mode', 'run'], { cwd: root });
      assertSucceeded(first);
      runImage = lastLine(first.stdout);
      assert.match(runImage, new RegExp(`^${repositoryOf(root)}:run-cpu-[0-9a-f]{12}$`), show(first));
      assert.ok(dockerSucceeds('image', 'inspect', runImage), `${runImage} does not exist`);

      const second = await runCli(['build', '--mode', 'run'], { cwd: root });
      assertSucceeded(second);
      assert.equal(lastLine(second.stdout), runImage);
      assert.match(second.stderr, /up to date/, show(second));
      assert.doesNotMatch(second.stderr, /^Step /m, show(second));
    });

    it('leaves ignored files, virtual environments and .git out of the image', () => {
      const listing = lines(docker('run', '--rm', runImage, 'ls', '-a', '/app'));
      for (const present of ['data.txt', 'requirements.txt', 'sleeper.py', 'trainer']) {
        assert.ok(listing.includes(present), `${present} missing from /app: ${listing.join(' ')}`);
      }
      for (const absent of ['notes.secret', '.venv', '.git', '.dockerignore', '.ariel.Dockerfile']) {
        assert.ok(!listing.includes(absent), `${absent} is in /app: ${listing.join(' ')}`);
      }
    });

    it('runs one job per experiment, passthrough arguments first, output prefixed by job', async () => {
      const result = await runCli(
        ['run', 'trainer.train', '--experiment-config', join(configs, 'grid.json'), '--', '--base', '1'],
        {
          cwd: root
        }
      );
      assertSucceeded(result);
      assert.match(result.stderr, /up to date/, 'run reuses the image built above');
      const jobs = jobArgs(result.stdout);
      assert.deepEqual(
        jobs,
        GRID_JOBS.map((args, i) => ({ index: i + 1, total: 4, args })),
        show(result)
      );
    });

    it('runs a script target', async () => {
      const result = await runCli(['run', 'trainer/train.py', '--', '--x', 'two words'], { cwd: root });
      assertSucceeded(result);
      assert.deepEqual(jobArgs(result.stdout), [{ index: 1, total: 1, args: ['--x', 'two words'] }], show(result));
    });

    it('reads the experiment config from standard input', async () => {
      const result = await runCli(['run', 'trainer.train', '--experiment-config', 'stdin'], {
        cwd: root,
        stdin: '{"seed": [1, 2], "name": "a b"}'
      });
      assertSucceeded(result);
      assert.deepEqual(
        jobArgs(result.stdout),
        [
          { index: 1, total: 2, args: ['--seed', '1', '--name', 'a b'] },
          { index: 2, total: 2, args: ['--seed', '2', '--name', 'a b'] }
        ],
        show(result)
      );
    });

    it('fails when one job fails, naming the job, after running the others', async () => {
      const result = await runCli(['run', 'trainer.train', '--experiment-config', join(configs, 'one-fails.json')], {
        cwd: root
      });
      assertCleanFailure(result);
      assert.deepEqual(
        jobArgs(result.stdout).map(job => job.index),
        [1, 2, 3],
        show(result)
      );
      assert.match(result.stderr, /\bjob 2\b/, show(result));
      assert.match(result.stderr, /exit code 3/, show(result));
      assert.doesNotMatch(result.stderr, /\bjob [13] \(/, show(result));
    });

    it('rejects a target that does not exist, a malformed experiment config, and --gpu without a GPU', async () => {
      const noModule = await runCli(['run', 'trainer.nope'], { cwd: root });
      assertCleanFailure(noModule);
      assert.match(noModule.stderr, /trainer\.nope/);

      const noScript = await runCli(['run', 'scripts/nope.py'], { cwd: root });
      assertCleanFailure(noScript);
      assert.match(noScript.stderr, /scripts\/nope\.py/);

      const bad = join(configs, 'bad.json');
      const malformed = await runCli(['run', 'trainer.train', '--experiment-config', bad], { cwd: root });
      assertCleanFailure(malformed);
      assert.ok(malformed.stderr.includes(`${bad}:3:3`), show(malformed));

      if (engineHasGpu()) {
        return; // the rest is about a GPU-less engine
      }
      const gpu = await runCli(['run', '--gpu', 'trainer.train'], { cwd: root });
      assertCleanFailure(gpu);
      assert.match(gpu.stderr, /GPU/, show(gpu));
      assert.match(gpu.stderr, /--cpu/, show(gpu));
      assert.doesNotMatch(gpu.stderr, /^Step /m, 'nothing is built before the GPU check');
      assert.deepEqual(
        imagesOf(root).filter(ref => ref.includes('-gpu-')),
        []
      );
    });

    it('stops the running job on Ctrl-C and removes its container', async () => {
      const cli = startCli(['run', 'sleeper'], { cwd: root, timeoutMs: 180_000 });
      const running = () =>
        lines(docker('ps', '-q', '--filter', `label=${ROLE_LABEL}=run`, '--filter', `label=org.ariel.project=${root}`));
      await eventually(
        () => running().length > 0 || cli.child.exitCode !== null,
        'the job container to start',
        // The image is built here when this test runs alone.
        600_000
      );
      assert.equal(cli.child.exitCode, null, `the CLI exited early:\n${JSON.stringify(cli.output())}`);
      await eventually(() => cli.output().stdout.includes('sleeping'), 'the job to print', 30_000);

      cli.child.kill('SIGINT');
      // The job sleeps for 60 s: an exit with the job's output but before its end proves the stop.
      const result = await cli.result;
      assert.doesNotMatch(result.stdout, /slept/, show(result));
      assert.notEqual(result.code, 0, show(result));
      assert.ok(result.code !== null, show(result));
      assert.doesNotMatch(result.stderr, STACK_LINE, show(result));
      assert.deepEqual(
        lines(docker('ps', '-aq', '--filter', `label=org.ariel.project=${root}`)),
        [],
        'a container of the interrupted run is left'
      );
    });

    it('pipes standard input into a shell that runs as the host user in the mounted project', async () => {
      const result = await runCli(['shell'], { cwd: root, stdin: 'id -u; pwd; ls\n' });
      assertSucceeded(result);
      const [uid, pwd, ...files] = lines(result.stdout);
      assert.equal(uid, String(process.getuid!()), show(result));
      assert.equal(pwd, root, show(result));
      for (const file of ['data.txt', 'requirements.txt', 'sleeper.py', 'trainer']) {
        assert.ok(files.includes(file), `${file} missing from ls: ${show(result)}`);
      }
    });

    it('attaches a terminal to the shell, sized like the window, and removes the container on exit', async () => {
      const terminal = new Terminal(`${process.execPath} ${ARIEL_BIN} shell`, { cwd: root, columns: 120 });
      try {
        await eventually(() => new RegExp(`[#$] *$`, 'm').test(terminal.screen()), 'the shell prompt', 180_000);
        terminal.type('tty; tput cols; pwd');
        await eventually(() => /\/dev\/pts\/\d+\n120\n/.test(terminal.screen()), 'a TTY of 120 columns', 30_000);
        assert.match(terminal.screen(), new RegExp(`^${root}$`, 'm'));
        terminal.type('exit 3');
        await eventually(() => /^EXIT=3$/m.test(terminal.screen()), 'the shell to exit with its status', 30_000);
        await eventually(() => leftoverContainers().length === 0, 'the shell container to be removed', 30_000);
      } finally {
        terminal.close();
      }
    });

    it('rebuilds only the code layers after a code edit', async () => {
      appendFileSync(join(root, 'trainer/train.py'), '# a code-only edit\n');
      const result = await runCli(['build', '--mode', 'run'], { cwd: root });
      assertSucceeded(result);
      const edited = lastLine(result.stdout);
      assert.match(edited, new RegExp(`^${repositoryOf(root)}:run-cpu-[0-9a-f]{12}$`));
      assert.notEqual(edited, runImage);

      const before = layersOf(runImage);
      const now = layersOf(edited);
      assert.equal(now.length, before.length);
      const shared = before.findIndex((layer, i) => layer !== now[i]);
      assert.ok(shared > 0, 'the images differ in their first layer');
      const changed = before.length - shared;
      assert.ok(changed >= 1 && changed <= 2, `${changed} of ${before.length} layers changed`);
      assert.deepEqual(
        before.slice(shared).filter((layer, i) => layer === now[shared + i]),
        [],
        'layers after the first changed one are shared again'
      );
      // Base image, user and virtual environment are all below the code.
      const base = /^FROM (\S+) AS ariel-base$/m.exec(
        (await runCli(['dockerfile', '--mode', 'run'], { cwd: root })).stdout
      )?.[1];
      assert.ok(base);
      assert.ok(shared >= layersOf(base).length + 2, `only ${shared} layers are shared`);
    });

    it('keeps the notebook image across code edits and rebuilds it for a requirements edit', async () => {
      const first = await runCli(['build', '--mode', 'notebook'], { cwd: root });
      assertSucceeded(first);
      const notebook = lastLine(first.stdout);
      assert.match(notebook, new RegExp(`^${repositoryOf(root)}:notebook-cpu-[0-9a-f]{12}$`), show(first));

      appendFileSync(join(root, 'trainer/train.py'), '# another code edit\n');
      const afterCode = await runCli(['build', '--mode', 'notebook'], { cwd: root });
      assertSucceeded(afterCode);
      assert.equal(lastLine(afterCode.stdout), notebook);
      assert.match(afterCode.stderr, /up to date/);

      writeFileSync(
        join(root, 'requirements.txt'),
        readFileSync(join(root, 'requirements.txt'), 'utf8') + '# a requirements edit\n'
      );
      const afterRequirements = await runCli(['build', '--mode', 'notebook'], { cwd: root });
      assertSucceeded(afterRequirements);
      const rebuilt = lastLine(afterRequirements.stdout);
      assert.match(rebuilt, /:notebook-cpu-[0-9a-f]{12}$/);
      assert.notEqual(rebuilt, notebook);
    });

    it('shares the dependency layers between modes: a run image is the shell image plus the code', async () => {
      const refs: Record<string, string> = {};
      for (const mode of ['shell', 'run', 'notebook']) {
        const result = await runCli(['build', '--mode', mode], { cwd: root });
        assertSucceeded(result);
        refs[mode] = lastLine(result.stdout);
      }
      // All but the last layer, each image's record of its own Dockerfile: the dependencies and their record.
      const shell = layersOf(refs.shell).slice(0, -1);
      const run = layersOf(refs.run);
      const notebook = layersOf(refs.notebook);
      assert.deepEqual(run.slice(0, shell.length), shell, 'the run image does not start with the shell image');
      assert.ok(run.length > shell.length + 1);
      // The notebook image adds ipykernel to the virtual environment; the base and user layers are shared.
      const base = /^FROM (\S+) AS ariel-base$/m.exec(
        (await runCli(['dockerfile', '--mode', 'shell'], { cwd: root })).stdout
      )?.[1];
      const below = layersOf(base!).length + 1;
      assert.deepEqual(notebook.slice(0, below), shell.slice(0, below));
    });
  });

  describe('image currency', () => {
    const tags: string[] = [];
    after(() => void spawnSync('docker', ['rmi', ...tags], { stdio: 'ignore' }));

    it('builds a new notebook and shell image when only the config or a machine default changes', async () => {
      const root = project('currency', {
        'requirements.txt': 'six\n',
        'setup.py': 'from setuptools import setup\nsetup(name="currency", extras_require={"more": ["six"]})\n'
      });
      const base = /^FROM (\S+) AS ariel-base$/m.exec(
        (await runCli(['dockerfile', '--mode', 'shell'], { cwd: root })).stdout
      )?.[1];
      assert.ok(base);
      // Other names for the same base image: a new FROM line, nothing to download.
      const [machineBase, configBase] = ['machine', 'config'].map(
        kind => `ariel-test-base-${kind}:${randomBytes(3).toString('hex')}`
      );
      for (const tag of [machineBase, configBase]) {
        docker('tag', base, tag);
        tags.push(tag);
      }
      const config = (value: object) => writeFileSync(join(root, '.ariel.json'), JSON.stringify(value));
      const steps: [string, () => void, Record<string, string>?][] = [
        ['as first built', () => config({})],
        ['with an apt package', () => config({ apt_packages: ['tree'] })],
        ['with an extra', () => config({ apt_packages: ['tree'], extras: ['more'] })],
        ['with another machine base image', () => undefined, { ARIEL_BASE_IMAGE_CPU: machineBase }],
        [
          'with a base image in the config',
          () => config({ apt_packages: ['tree'], extras: ['more'], base_image: { cpu: configBase } }),
          { ARIEL_BASE_IMAGE_CPU: machineBase }
        ]
      ];
      for (const mode of ['notebook', 'shell']) {
        config({});
        const images: string[] = [];
        for (const [step, change, env] of steps) {
          change();
          const result = await runCli(['build', '--mode', mode], { cwd: root, env });
          assertSucceeded(result);
          const image = lastLine(result.stdout);
          assert.ok(!images.includes(image), `${mode} ${step}: ${image} was built before\n${show(result)}`);
          images.push(image);
        }
        // Each image holds what its config asked for.
        const [, withApt, withExtra, , withConfigBase] = images;
        assert.match(docker('run', '--rm', '--entrypoint', 'sh', withApt, '-c', 'command -v tree'), /tree/);
        assert.match(docker('run', '--rm', withExtra, 'pip', 'show', 'currency'), /^Name: currency$/m);
        assert.match(docker('image', 'inspect', '--format', '{{json .RepoTags}}', withConfigBase), new RegExp(mode));
      }
    });
  });

  describe('Ctrl-C and signals', () => {
    const root = project('signals', {
      'requirements.txt': 'six\n',
      // Naps for --nap seconds (default 120), then says it woke.
      'nap.py':
        'import sys\nimport time\n\nprint("napping", *sys.argv[1:], flush=True)\n' +
        'time.sleep(float(sys.argv[sys.argv.index("--nap") + 1]) if "--nap" in sys.argv else 120)\nprint("woke", flush=True)\n'
    });
    const left = () => [...containersOf('run', root), ...containersOf('shell', root)];

    /** Starts the CLI, waits for `ready` on its stdout, then sends the signals, one per printed "Stopping". */
    async function interrupt(args: string[], ready: RegExp, signals: NodeJS.Signals[], stdin?: string) {
      const cli = startCli(args, { cwd: root, stdin });
      await eventually(() => ready.test(cli.output().stdout) || cli.child.exitCode !== null, `${ready}`, 300_000);
      assert.equal(cli.child.exitCode, null, `the CLI exited early:\n${JSON.stringify(cli.output())}`);
      for (const [i, signal] of signals.entries()) {
        cli.child.kill(signal);
        await eventually(
          () => cli.output().stderr.split('Stopping').length > i + 1 || cli.child.exitCode !== null,
          'the CLI to say it stops'
        );
      }
      const result = await cli.result;
      assert.ok(result.code !== null && result.code !== 0, show(result));
      assert.doesNotMatch(result.stderr, STACK_LINE, show(result));
      return result;
    }

    it('stops a multi-job run in its second job: the third never starts, no container is left', async () => {
      const result = await interrupt(
        ['run', 'nap.py', '--experiment-config', 'stdin'],
        /^\[job 2\/3\] napping/m,
        ['SIGINT'],
        '{"nap": [0, 120, 120]}'
      );
      assert.match(result.stdout, /^\[job 1\/3\] woke$/m, show(result));
      assert.doesNotMatch(result.stdout, /\[job 2\/3\] woke/, show(result));
      assert.doesNotMatch(result.stdout, /\[job 3\/3\]/, show(result));
      await eventually(() => left().length === 0, 'the job containers to be removed');
    });

    it('stops a run on SIGTERM as on Ctrl-C', async () => {
      const result = await interrupt(['run', 'nap.py'], /napping/, ['SIGTERM']);
      assert.doesNotMatch(result.stdout, /woke/, show(result));
      await eventually(() => left().length === 0, 'the job container to be removed');
    });

    it('quits at once on a second Ctrl-C, and still leaves no container', async () => {
      const result = await interrupt(['run', 'nap.py'], /napping/, ['SIGINT', 'SIGINT']);
      assert.equal(result.code, 130, show(result));
      assert.doesNotMatch(result.stdout, /woke/, show(result));
      await eventually(() => left().length === 0, 'the job container to be removed');
    });

    it('stops a shell on Ctrl-C and removes its container', async () => {
      const result = await interrupt(['shell'], /napping/, ['SIGINT'], 'echo napping; sleep 120; echo woke\n');
      assert.doesNotMatch(result.stdout, /woke/, show(result));
      await eventually(() => left().length === 0, 'the shell container to be removed');
    });
  });

  describe('options and results', () => {
    const root = project('options', {
      'setup.py': 'from setuptools import setup\nsetup(name="options", extras_require={"more": ["six"]})\n',
      '.ariel.json': JSON.stringify({ env: ['ARIEL_TEST_VALUE'] }),
      'show.py':
        'import importlib.util\nimport os\nimport sys\n\n' +
        'print("VALUE", os.environ.get("ARIEL_TEST_VALUE"), "SIX", bool(importlib.util.find_spec("six")), *sys.argv[1:])\n' +
        'sys.exit(4 if "--fail" in sys.argv else 0)\n'
    });
    const elsewhere = tempProject({});

    it('passes the env values named in the config at run time, and never puts them in the image', async () => {
      const value = `value-${randomBytes(6).toString('hex')}`;
      const first = await runCli(['run', 'show', '--project', root], {
        cwd: elsewhere,
        env: { ARIEL_TEST_VALUE: value }
      });
      assertSucceeded(first);
      assert.match(first.stdout, new RegExp(`VALUE ${value} `), show(first));
      // The image the job ran in: built with the value set, as the run was.
      const build = await runCli(['build', '--mode', 'run', '--project', root], {
        cwd: elsewhere,
        env: { ARIEL_TEST_VALUE: value }
      });
      assertSucceeded(build);
      assert.match(build.stderr, /up to date/, show(build));
      const image = lastLine(build.stdout);
      assert.ok(!docker('image', 'inspect', image).includes(value), 'the value is in the image config');
      assert.ok(!docker('history', '--no-trunc', image).includes(value), 'the value is in the image history');

      const shell = await runCli(['shell', '--project', root], {
        cwd: elsewhere,
        env: { ARIEL_TEST_VALUE: 'other' },
        stdin: 'echo "VALUE $ARIEL_TEST_VALUE"\n'
      });
      assertSucceeded(shell);
      assert.match(shell.stdout, /^VALUE other$/m, show(shell));
      // Another value is the same image: nothing to rebuild.
      const second = await runCli(['run', 'show', '--project', root], {
        cwd: elsewhere,
        env: { ARIEL_TEST_VALUE: 'other' }
      });
      assert.match(second.stderr, /up to date/, show(second));
      assert.match(second.stdout, /VALUE other /, show(second));
    });

    it('builds the project named by --project, with the extras of --extras', async () => {
      const plain = await runCli(['run', 'show', '--project', root], { cwd: elsewhere });
      assertSucceeded(plain);
      assert.match(plain.stdout, /SIX False/, show(plain));
      const extras = await runCli(['run', 'show', '--project', root, '--extras', 'more'], { cwd: elsewhere });
      assertSucceeded(extras);
      assert.match(extras.stdout, /SIX True/, show(extras));
      assert.deepEqual(imagesOf(elsewhere), [], 'an image was built for the working directory');
    });

    it('prints the results of run --json on stdout, job output on stderr', async () => {
      const result = await runCli(['run', 'show', '--project', root, '--experiment-config', 'stdin', '--json'], {
        cwd: elsewhere,
        stdin: '{"fail": [false, true]}'
      });
      assertCleanFailure(result);
      const jobs = JSON.parse(result.stdout) as { index: number; args: string[]; image: string; exitCode: number }[];
      assert.deepEqual(
        jobs.map(({ index, args, exitCode }) => ({ index, args, exitCode })),
        [
          { index: 1, args: [], exitCode: 0 },
          { index: 2, args: ['--fail'], exitCode: 4 }
        ]
      );
      assert.match(jobs[0].image, new RegExp(`^${repositoryOf(root)}:run-cpu-[0-9a-f]{12}$`));
      assert.match(result.stderr, /^\[job 2\/2\] VALUE None SIX False --fail$/m, show(result));
    });
  });

  describe('GPU requests', () => {
    it('gives run and shell containers of GPU images all GPUs, and CPU ones none', async () => {
      // The engine claims a GPU and records what containers ask for, then runs them on the CPU.
      const engine = new GpuEngine();
      await engine.listen();
      try {
        const root = project('gpu', { 'requirements.txt': 'six\n', 'main.py': 'print("ran")\n' });
        const base = /^FROM (\S+) AS ariel-base$/m.exec(
          (await runCli(['dockerfile', '--mode', 'shell'], { cwd: root })).stdout
        )?.[1];
        const env = { DOCKER_HOST: engine.host, ARIEL_BASE_IMAGE_GPU: base };
        for (const accelerator of ['--gpu', '--cpu']) {
          const run = await runCli(['run', accelerator, 'main.py'], { cwd: root, env });
          assertSucceeded(run);
          assert.match(run.stdout, /ran/);
          const shell = await runCli(['shell', accelerator], { cwd: root, env, stdin: 'echo in-shell\n' });
          assertSucceeded(shell);
          assert.match(shell.stdout, /in-shell/);
        }
        const requests = (role: string) =>
          engine.created.filter(c => c.labels[ROLE_LABEL] === role).map(c => c.deviceRequests);
        // All GPUs, as `docker run --gpus all` asks.
        const allGpus = [{ Driver: '', Count: -1, Capabilities: [['gpu']] }];
        assert.deepEqual(requests('run'), [allGpus, null]);
        assert.deepEqual(requests('shell'), [allGpus, null]);
      } finally {
        engine.close();
      }
    });
  });

  describe('without building', () => {
    it('plans jobs with --dry-run --json and builds nothing', async () => {
      const root = project('dry', trainerFiles());
      const result = await runCli(
        [
          'run',
          'trainer.train',
          '--experiment-config',
          join(configs, 'grid.json'),
          '--dry-run',
          '--json',
          '--',
          '--base',
          '1'
        ],
        { cwd: root }
      );
      assertSucceeded(result);
      const jobs = JSON.parse(result.stdout) as { args: string[]; image: string }[];
      assert.ok(Array.isArray(jobs) && jobs.length === 4, result.stdout);
      assert.deepEqual(
        jobs.map(job => job.args),
        GRID_JOBS
      );
      const image = jobs[0].image;
      assert.match(image, new RegExp(`^${repositoryOf(root)}:run-cpu-[0-9a-f]{12}$`));
      assert.ok(jobs.every(job => job.image === image));
      assert.ok(!dockerSucceeds('image', 'inspect', image), `${image} was built`);
      assert.deepEqual(imagesOf(root), []);
    });

    it('plans the bundled example: one job per experiment in its config', async () => {
      const example = fileURLToPath(new URL('../../../examples/digits', import.meta.url));
      const expanded = await runCli(['expand', 'experiment.json'], { cwd: example });
      assertSucceeded(expanded);
      const args = JSON.parse(expanded.stdout) as string[][];
      assert.equal(args.length, 6);
      assert.deepEqual(args[0], ['--C', '0.1', '--max-iter', '500', '--standardize']);
      assert.deepEqual(args[1], ['--C', '0.1', '--max-iter', '500']);
      const planned = await runCli(
        ['run', 'trainer.train', '--experiment-config', '../experiment.json', '--dry-run', '--json'],
        {
          cwd: join(example, 'notebooks')
        }
      );
      assertSucceeded(planned);
      const jobs = JSON.parse(planned.stdout) as { image: string }[];
      assert.equal(jobs.length, 6);
      assert.match(jobs[0].image, /^ariel\/digits:run-cpu-[0-9a-f]{12}$/);
    });

    it('builds and runs nothing for an experiment config that expands to no jobs', async () => {
      const root = project('empty-grid', { 'main.py': 'print(1)\n' });
      const result = await runCli(['run', 'main.py', '--experiment-config', 'stdin'], {
        cwd: root,
        stdin: '{"lr": []}'
      });
      assertSucceeded(result);
      assert.match(result.stderr, /expands to no jobs/);
      assert.deepEqual(imagesOf(root), []);
    });

    it('expands an experiment config into argument lists', async () => {
      const result = await runCli(['expand', join(configs, 'expand.json')]);
      assertSucceeded(result);
      assert.deepEqual(JSON.parse(result.stdout), [
        ['--a', '1', '--b', 'x', '--c'],
        ['--a', '2', '--b', 'x', '--c']
      ]);
    });

    it('names the file and key of a malformed .ariel.json', async () => {
      const wrongType = project('badcfg', {
        'requirements.txt': 'six\n',
        '.ariel.json': '{\n  "build": {\n    "network": 5\n  }\n}\n'
      });
      const result = await runCli(['dockerfile', '--mode', 'run'], { cwd: wrongType });
      assertCleanFailure(result);
      assert.ok(result.stderr.includes(join(wrongType, '.ariel.json')), show(result));
      assert.match(result.stderr, /build\.network/, show(result));

      const syntax = project('syntax', { '.ariel.json': '{\n  "build": \n}\n' });
      const broken = await runCli(['build', '--mode', 'run'], { cwd: syntax });
      assertCleanFailure(broken);
      assert.match(broken.stderr, /\.ariel\.json:3:1\b/, show(broken));
    });

    it('rejects an unknown key in .ariel.json', async () => {
      const root = project('unknown', { 'requirements.txt': 'six\n', '.ariel.json': '{"bulid": {"network": "host"}}' });
      const result = await runCli(['build', '--mode', 'run'], { cwd: root });
      assertCleanFailure(result);
      assert.ok(result.stderr.includes(join(root, '.ariel.json')), show(result));
      assert.match(result.stderr, /unknown key "bulid"/, show(result));
      assert.deepEqual(imagesOf(root), []);
    });

    it('says it cannot reach the Docker engine when there is none', async () => {
      const root = project('nodaemon', trainerFiles());
      for (const args of [['build', '--mode', 'run'], ['run', 'trainer.train'], ['shell']]) {
        const result = await runCli(args, {
          cwd: root,
          env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
          timeoutMs: 60_000
        });
        assertCleanFailure(result);
        assert.match(result.stderr, /cannot reach the Docker engine/i, show(result));
        assert.match(result.stderr, /nonexistent\.sock/, show(result));
      }
    });
  });

  describe('builds that fail or carry secrets', () => {
    it('cancels a build on Ctrl-C: no image tagged, no container left', async () => {
      const root = project('cancelled', { 'requirements.txt': 'numpy\n', 'main.py': 'print(1)\n' });
      const containersBefore = new Set(lines(docker('ps', '-aq')));
      const cli = startCli(['build', '--mode', 'run'], { cwd: root, timeoutMs: 300_000 });
      await eventually(
        () => cli.output().stderr.includes('pip') || cli.child.exitCode !== null,
        'the build to reach its pip step',
        240_000
      );
      cli.child.kill('SIGINT');
      const result = await cli.result;
      assert.equal(result.code, 130, show(result));
      assert.match(result.stderr, /Build cancelled; no image was tagged/);
      assert.doesNotMatch(result.stderr, STACK_LINE, show(result));
      assert.deepEqual(imagesOf(root), [], 'the cancelled build tagged an image');
      // The builder's intermediate containers carry no label of ours: compare with what ran before.
      await eventually(
        () => lines(docker('ps', '-aq')).every(id => containersBefore.has(id)),
        'the build containers to be removed',
        30_000
      );
    });

    it('names the failing step and shows the end of its output', async () => {
      const root = project('fails', { 'requirements.txt': 'ariel-no-such-package-zz\n', 'main.py': 'print("hi")\n' });
      const result = await runCli(['build', '--mode', 'run'], { cwd: root });
      assertCleanFailure(result);
      assert.match(result.stderr, /failed at step \d+\/\d+: RUN \[.*"pip", "install", "-r"/, show(result));
      assert.match(result.stderr, /^ {2}\| .*ariel-no-such-package-zz/m, show(result));
      assert.deepEqual(imagesOf(root), [], 'a failed build tagged an image');
    });

    it('keeps pip index credentials out of the output and the image', async t => {
      const index = process.env.ARIEL_PIP_INDEX_URL;
      if (!index?.startsWith('http://')) {
        t.skip('needs ARIEL_PIP_INDEX_URL, an http:// index that ignores basic auth');
        return;
      }
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const root = project('secret', {
        'requirements.txt': 'six\n',
        'main.py': 'import six\n',
        '.ariel.json': JSON.stringify({
          build: { network: 'host', pip_index_url: index.replace('http://', `http://ariel-user:${password}@`) }
        })
      });
      const result = await runCli(['build', '--mode', 'run'], { cwd: root });
      assertSucceeded(result);
      const image = lastLine(result.stdout);
      assert.ok(!result.stdout.includes(password), 'the password is on stdout');
      assert.ok(!result.stderr.includes(password), 'the password is on stderr');
      assert.ok(!docker('history', '--no-trunc', image).includes(password), 'the password is in the image history');
      assert.ok(!docker('image', 'inspect', image).includes(password), 'the password is in the image config');
    });
  });

  describe('as a non-root host user', () => {
    const user = testUser();
    it(
      "runs jobs and shells with that user's uid and gid, so files written to the project are theirs",
      {
        skip: !user && 'needs root, and the test user that scripts/lib/test-tools.sh creates able to read this checkout'
      },
      async () => {
        const { name, uid, gid } = user!;
        const root = project('owner', {
          'requirements.txt': 'six\n',
          'ids.py': 'import os\n\nprint("IDS", os.getuid(), os.getgid(), os.stat("/app/ids.py").st_uid)\n'
        });
        // The user owns the project (and may enter its temporary parent folder).
        execFileSync('chown', ['-R', `${name}:`, dirname(root)]);

        const run = await runCli(['run', 'ids.py'], { cwd: root, user: name });
        assertSucceeded(run);
        assert.match(run.stdout, new RegExp(`^\\[job 1/1\\] IDS ${uid} ${gid} ${uid}$`, 'm'), show(run));

        const shell = await runCli(['shell'], {
          cwd: root,
          user: name,
          stdin: 'id -u; id -g; echo x > from-shell.txt\n'
        });
        assertSucceeded(shell);
        assert.deepEqual(lines(shell.stdout), [String(uid), String(gid)], show(shell));
        const written = statSync(join(root, 'from-shell.txt'));
        assert.deepEqual([written.uid, written.gid], [uid, gid]);
      }
    );
  });

  it('leaves no Ariel container behind', () => {
    assert.deepEqual(leftoverContainers(), []);
  });
});
