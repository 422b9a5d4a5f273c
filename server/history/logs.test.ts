import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { logFile, pruneLogs, teeJobLogs } from './logs.js';

after(removeTempProjects);

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      }
    }),
    text: () => text
  };
}

async function writeAll(stream: Writable, chunks: string[]): Promise<void> {
  for (const chunk of chunks) {
    await new Promise<void>((resolve, reject) => stream.write(chunk, error => (error ? reject(error) : resolve())));
  }
}

describe("local jobs' logs", () => {
  it("keeps each job's lines in its own log, without the prefix, and passes the output on unchanged", async () => {
    const dir = tempProject({});
    const out = sink();
    const tee = teeJobLogs(out.stream, dir, 'sweep');
    const lines = ['[job 1/2] epoch 1\n', '[job 1/2] [not a prefix] ok\n', '[job 2/2] epoch 1\n', '[job 1/2] done\n'];
    await writeAll(tee, lines);
    assert.equal(out.text(), lines.join(''));
    assert.equal(readFileSync(logFile(dir, 'sweep', 1), 'utf8'), 'epoch 1\n[not a prefix] ok\ndone\n');
    assert.equal(readFileSync(logFile(dir, 'sweep', 2), 'utf8'), 'epoch 1\n');
  });

  it('stops a log at its size limit with a line that says so, and the output goes on', async () => {
    const dir = tempProject({});
    const out = sink();
    const tee = teeJobLogs(out.stream, dir, 'big', 20);
    await writeAll(tee, ['[job 1/1] 0123456789\n', '[job 1/1] 0123456789\n', '[job 1/1] more\n']);
    assert.equal(
      readFileSync(logFile(dir, 'big', 1), 'utf8'),
      '0123456789\n[ariel: log truncated at 20 bytes; later output was not kept]\n'
    );
    assert.match(out.text(), /more\n$/);
  });

  it("counts a job's stdout and stderr together against the limit", async () => {
    const dir = tempProject({});
    const out = teeJobLogs(sink().stream, dir, 'both', 20);
    const err = teeJobLogs(sink().stream, dir, 'both', 20);
    await writeAll(out, ['[job 1/1] out 1\n']);
    await writeAll(err, ['[job 1/1] err 1\n']);
    await writeAll(out, ['[job 1/1] out 2\n']);
    await writeAll(err, ['[job 1/1] err 2\n']);
    await writeAll(out, ['[job 1/1] 3\n']);
    assert.equal(
      readFileSync(logFile(dir, 'both', 1), 'utf8'),
      'out 1\nerr 1\nout 2\n[ariel: log truncated at 20 bytes; later output was not kept]\n'
    );
  });

  it("removes the oldest groups' logs first past the limit, never the run about to start", () => {
    const dir = tempProject({});
    const groups = ['old', 'middle', 'new'];
    groups.forEach((group, i) => {
      const file = logFile(dir, group, 1);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, 'x'.repeat(100));
      const time = new Date(Date.UTC(2026, 0, 1 + i));
      utimesSync(join(file, '..'), time, time);
    });
    assert.deepEqual(pruneLogs(dir, 250, 'old'), ['middle']);
    assert.ok(existsSync(logFile(dir, 'old', 1)));
    assert.ok(existsSync(logFile(dir, 'new', 1)));
    assert.deepEqual(pruneLogs(dir, 250), []);
    assert.deepEqual(pruneLogs(dir, 100), ['old']);
  });
});
