import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

// Experiment configs and the JSON reader through the real CLI: `expand` and `run --dry-run`
// (neither needs the Docker engine), each class of bad input with its exit code and message.

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, show(result));
}

/** Exit code 1, and Ariel's own message naming every fragment: no crash, no stack trace. */
function assertFails(result: CliResult, ...fragments: string[]): void {
  assert.equal(result.code, 1, show(result));
  assert.match(result.stderr, /^ariel: /m, show(result));
  assert.doesNotMatch(result.stderr, /unexpected error|^\s+at /m, show(result));
  for (const fragment of fragments) {
    assert.ok(result.stderr.includes(fragment), `${JSON.stringify(fragment)} missing\n${show(result)}`);
  }
}

/** `ariel expand` of a config written to a file in a fresh folder; the file's path is `file`. */
async function expand(text: string | Buffer, ...flags: string[]): Promise<CliResult & { file: string }> {
  const dir = tempProject({});
  const file = join(dir, 'exp.json');
  writeFileSync(file, text);
  return { ...(await runCli(['expand', file, ...flags], { cwd: dir })), file };
}

function jobs(result: CliResult): string[][] {
  assertSucceeded(result);
  return JSON.parse(result.stdout) as string[][];
}

/** 20 keys of 10 values each: 10^20 jobs. */
const HUGE = JSON.stringify(
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, Array.from({ length: 10 }, (_, j) => j)]))
);

describe('experiment configs through the CLI', () => {
  after(removeTempProjects);

  it('passes numbers as Python str() does: floats keep their form, integers their digits', async () => {
    const result = await expand('{"a": [1.0, 2, 1e3, 1.5e-05, 1e16, 12345678901234567890123]}');
    assert.deepEqual(
      jobs(result).map(args => args[1]),
      ['1.0', '2', '1000.0', '1.5e-05', '1e+16', '12345678901234567890123']
    );
  });

  it('flattens lists of lists of configs, and keeps the first key varying slowest', async () => {
    assert.deepEqual(jobs(await expand('[{"a": 1}, [{"b": [1, 2]}, [{"c": true}]]]')), [
      ['--a', '1'],
      ['--b', '1'],
      ['--b', '2'],
      ['--c']
    ]);
    assert.deepEqual(jobs(await expand('{"x": [1, 2], "y": ["p", "q"]}')), [
      ['--x', '1', '--y', 'p'],
      ['--x', '1', '--y', 'q'],
      ['--x', '2', '--y', 'p'],
      ['--x', '2', '--y', 'q']
    ]);
  });

  it('takes # and // comments, but not inside strings', async () => {
    const text = '# a sweep\n{\n  "name": "run#1", # the name\n  "lr": [0.1, 0.01] // two rates\n}\n';
    assert.deepEqual(jobs(await expand(text)), [
      ['--name', 'run#1', '--lr', '0.1'],
      ['--name', 'run#1', '--lr', '0.01']
    ]);
  });

  it('rejects malformed and empty keys, naming the file and the key', async () => {
    for (const key of ['[', 'eh[', ']a,b]', 'learning rate', '']) {
      const result = await expand(JSON.stringify({ ok: 1, [key]: 2 }));
      assertFails(result, result.file, `key ${JSON.stringify(key)} is not a valid key`);
    }
  });

  it('rejects a compound key whose flag another key of the object sets', async () => {
    const result = await expand('{"a": 1, "[a,b]": [[2, 3]]}');
    assertFails(result, result.file, 'key "[a,b]" sets the flag "a", which key "a" also sets');
  });

  it('warns about a duplicate key, naming both lines, and uses the last value', async () => {
    const result = await expand('{\n  "lr": 0.1,\n  "lr": 0.2\n}');
    assert.deepEqual(jobs(result), [['--lr', '0.2']]);
    assert.ok(
      result.stderr.includes(`ariel: warning: ${result.file}:3: duplicate key "lr" (also on line 2)`),
      show(result)
    );
  });

  it('counts the jobs before expanding: 20 keys of 10 values fail at once with the count and the way on', async () => {
    const result = await expand(HUGE);
    assertFails(result, result.file, '100000000000000000000 jobs', 'limit of 10000', '--max-jobs');
    assert.equal(result.stdout, '');
  });

  it('takes --max-jobs as the limit, and refuses a limit that is not a whole number', async () => {
    const text = '{"a": [1, 2, 3], "b": [1, 2, 3]}';
    assertFails(await expand(text, '--max-jobs', '8'), '9 jobs, more than the limit of 8');
    assert.equal(jobs(await expand(text, '--max-jobs', '9')).length, 9);
    for (const bad of ['0', '-1', 'ten', '1.5']) {
      const result = await expand(text, '--max-jobs', bad);
      assert.equal(result.code, 1, show(result));
      assert.match(result.stderr, /--max-jobs/, show(result));
    }
  });

  it('refuses deep nesting at a stated depth, without a stack overflow', async () => {
    const result = await expand(`{"a": ${'['.repeat(100_000)}`);
    assertFails(result, result.file, 'nested deeper than 64 levels');
  });

  it('refuses a very large file, a folder, a dangling link, non-UTF-8 bytes and an empty path, naming them', async () => {
    const large = await expand(`{"a": [${'1,'.repeat(600_000)}1]}`);
    assertFails(large, large.file, 'bytes', 'at most');
    const latin1 = await expand(Buffer.from('{"name": "caf\xe9"}', 'latin1'));
    assertFails(latin1, latin1.file, 'not valid UTF-8');

    const dir = tempProject({ 'configs/': '' });
    assertFails(await runCli(['expand', join(dir, 'configs')]), join(dir, 'configs'), 'is a folder');
    symlinkSync(join(dir, 'gone.json'), join(dir, 'link.json'));
    assertFails(await runCli(['expand', join(dir, 'link.json')]), join(dir, 'link.json'), 'does not exist');
    assertFails(await runCli(['expand', '']), 'experiment config path is empty');
  });

  it('bounds standard input as it bounds files', async () => {
    const large = await runCli(['expand', 'stdin'], { stdin: `[${'{},'.repeat(400_000)}{}]` });
    assertFails(large, 'standard input', 'at most');
    const valid = await runCli(['expand', 'stdin'], { stdin: '# from a pipe\n{"a": [1.0]}' });
    assert.deepEqual(jobs(valid), [['--a', '1.0']]);
  });

  describe('run --dry-run', () => {
    const root = tempProject({ 'main.py': 'print(1)\n' });
    const dryRun = (...args: string[]) => runCli(['run', 'main.py', '--dry-run', ...args], { cwd: root });

    it('refuses 10^20 jobs at once, with the count', async () => {
      const config = join(root, 'huge.json');
      writeFileSync(config, HUGE);
      assertFails(await dryRun('--experiment-config', config), config, '100000000000000000000 jobs', '--max-jobs');
    });

    it('plans with floats as Python writes them, and honours --max-jobs', async () => {
      const config = join(root, 'floats.json');
      writeFileSync(config, '{"lr": [1.0, 1e-05]}');
      const planned = await dryRun('--experiment-config', config);
      assertSucceeded(planned);
      assert.match(planned.stdout, /^job 1: main\.py --lr 1\.0$/m, show(planned));
      assert.match(planned.stdout, /^job 2: main\.py --lr 1e-05$/m, show(planned));
      assertFails(await dryRun('--experiment-config', config, '--max-jobs', '1'), '2 jobs, more than the limit of 1');
    });

    it('refuses an empty --experiment-config instead of running one job without flags', async () => {
      assertFails(await dryRun('--experiment-config', ''), 'experiment config path is empty');
    });
  });

  describe('.ariel.json read by the same reader', () => {
    it('refuses deep nesting, naming the file', async () => {
      const root = tempProject({ 'main.py': '', '.ariel.json': `{"extras": ${'['.repeat(100_000)}` });
      const result = await runCli(['run', 'main.py', '--dry-run'], { cwd: root });
      assertFails(result, join(root, '.ariel.json'), 'nested deeper than 64 levels');
    });

    it('warns about a duplicate key with both lines, and goes on', async () => {
      const root = tempProject({
        'main.py': '',
        '.ariel.json': '{\n  "extras": [],\n  "env": [],\n  "extras": []\n}\n'
      });
      const result = await runCli(['dockerfile', '--mode', 'run'], { cwd: root });
      assertSucceeded(result);
      assert.ok(
        result.stderr.includes(
          `ariel: warning: ${join(root, '.ariel.json')}:4: duplicate key "extras" (also on line 2)`
        ),
        show(result)
      );
    });
  });
});
