import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { groupFixture, jobsFixture } from '../cloud/testing/fixtures.js';
import { logFile } from '../history/logs.js';
import { History } from '../history/store.js';
import { JOB_LOG_CHUNK_BYTES, readJobLog } from './jobLog.js';

describe("a local job's kept log, read in parts", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-joblog-'));
  let history: History;
  const write = (group: string, index: number, text: string) => {
    const file = logFile(dir, group, index);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, text);
  };
  before(async () => {
    history = await History.open(dir);
  });
  after(() => {
    history.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the whole log of an ended job, then nothing new from the offset it answered', () => {
    const [job] = history.recordGroup(
      { ...groupFixture('ended'), platform: 'local', cloudProject: null, region: null },
      jobsFixture('ended', 1)
    );
    history.update(job.id, { state: 'JOB_STATE_SUCCEEDED' });
    write('ended', 1, 'epoch 1\nepoch 2\nno newline at the end');
    const first = readJobLog(history, job.id, 0);
    assert.equal(first.job, 'ended-1');
    assert.equal(first.text, 'epoch 1\nepoch 2\nno newline at the end');
    assert.equal(first.final, true);
    assert.equal(first.state, 'JOB_STATE_SUCCEEDED');
    const next = readJobLog(history, job.id, first.offset);
    assert.equal(next.text, '');
    assert.equal(next.offset, first.offset);
  });

  it("without an offset gives a long log's last part from a line's start", () => {
    const [job] = history.recordGroup(
      { ...groupFixture('long'), platform: 'local', cloudProject: null, region: null },
      jobsFixture('long', 1)
    );
    history.update(job.id, { state: 'JOB_STATE_SUCCEEDED' });
    const line = `${'x'.repeat(99)}\n`;
    const lines = Math.ceil((2 * JOB_LOG_CHUNK_BYTES) / line.length);
    write('long', 1, `${line.repeat(lines - 1)}the last line\n`);
    const tail = readJobLog(history, job.id);
    assert.ok(tail.start > 0, 'the earlier output is left out');
    assert.ok(tail.text.endsWith('the last line\n'));
    assert.ok(tail.text.startsWith('x'), 'the tail starts at a whole line');
    assert.equal(tail.text.split('\n')[0].length, 99);
    assert.equal(tail.offset, tail.size);
  });

  it('reads a log longer than one part from offset 0 in whole lines', () => {
    const [job] = history.recordGroup(
      { ...groupFixture('parts'), platform: 'local', cloudProject: null, region: null },
      jobsFixture('parts', 1)
    );
    history.update(job.id, { state: 'JOB_STATE_FAILED' });
    const line = `${'y'.repeat(63)}\n`;
    write('parts', 1, line.repeat(Math.ceil((1.5 * JOB_LOG_CHUNK_BYTES) / line.length)));
    const first = readJobLog(history, job.id, 0);
    assert.ok(first.text.endsWith('\n'));
    assert.ok(first.offset < first.size);
    const second = readJobLog(history, job.id, first.offset);
    assert.equal(second.start, first.offset);
    assert.equal(second.offset, second.size);
    assert.equal(first.text.length + second.text.length, second.size);
  });

  it('says that a cloud job has no log kept by Ariel, and names an unknown job', () => {
    const [job] = history.recordGroup(groupFixture('vertex'), jobsFixture('vertex', 1));
    assert.throws(() => readJobLog(history, job.id, 0), { code: 'unsupported', message: /Cloud Logging/ });
    assert.throws(() => readJobLog(history, 99999, 0), { code: 'history-not-found', message: /99999/ });
  });
});
