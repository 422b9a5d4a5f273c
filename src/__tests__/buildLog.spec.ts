import type { Build, BuildMessage } from '../api';
import { BuildLog } from '../buildLog';
import { FakeClient, flush } from './fakes';

const build = (state: Build['state'], extra: Partial<Build> = {}): Build => ({
  id: 'b1',
  image: 'ariel/digits:notebook-cpu-abc',
  project: 'digits',
  mode: 'notebook',
  accelerator: 'cpu',
  state,
  startedAt: '2026-12-04T10:00:00Z',
  ...extra
});

function send(client: FakeClient, ...messages: BuildMessage[]): void {
  const socket = client.sockets[client.sockets.length - 1];
  messages.forEach(message => socket.receive(message));
}

describe('BuildLog', () => {
  let client: FakeClient;
  beforeEach(() => {
    client = new FakeClient();
    jest.useFakeTimers();
    jest.spyOn(Math, 'random').mockReturnValue(1); // No jitter: the back-off's full delay.
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it("follows the build's events socket and shows its replay as log lines", () => {
    const log = new BuildLog(client, 'b1', 100);
    expect(client.sockets[0].path).toEqual(['builds', 'b1', 'events']);
    send(
      client,
      { type: 'step', index: 1, total: 3, instruction: 'FROM python:3.11-slim' },
      { type: 'cached' },
      { type: 'step', index: 2, total: 3, instruction: 'RUN pip install -r requirements.txt' },
      { type: 'output', line: 'Collecting numpy\nInstalling collected packages: numpy\n' },
      { type: 'state', build: build('running') }
    );
    expect(log.lines).toEqual([
      'Step 1/3 : FROM python:3.11-slim',
      ' ---> Using cache',
      'Step 2/3 : RUN pip install -r requirements.txt',
      'Collecting numpy',
      'Installing collected packages: numpy'
    ]);
    expect(log.progress).toEqual({ step: 2, total: 3 });
    expect(log.state).toBe('running');
    log.dispose();
  });

  it('resolves done when the build succeeds, with its progress complete', async () => {
    const log = new BuildLog(client, 'b1', 100);
    send(
      client,
      { type: 'step', index: 1, total: 2, instruction: 'FROM x' },
      { type: 'done', image: 'ariel/digits:notebook-cpu-abc', reused: false },
      { type: 'state', build: build('succeeded') }
    );
    await expect(log.done).resolves.toBeUndefined();
    expect(log.finished).toBe(true);
    expect(log.progress).toEqual({ step: 2, total: 2 });
    expect(log.lines.at(-1)).toBe('Built ariel/digits:notebook-cpu-abc.');
  });

  it("rejects done with the build's error when it fails", async () => {
    const log = new BuildLog(client, 'b1', 100);
    const error = { code: 'build-failed' as const, message: 'Step 2/3 failed.', hint: 'Fix requirements.txt.' };
    send(client, { type: 'error', error }, { type: 'state', build: build('failed', { error }) });
    await expect(log.done).rejects.toMatchObject(error);
    expect(log.error).toEqual(error);
  });

  it('keeps only the last maxLines lines, also when the limit is lowered', () => {
    const log = new BuildLog(client, 'b1', 3);
    for (let i = 1; i <= 5; i++) {
      send(client, { type: 'output', line: `line ${i}` });
    }
    expect(log.lines).toEqual(['line 3', 'line 4', 'line 5']);
    log.maxLines = 2;
    expect(log.lines).toEqual(['line 4', 'line 5']);
    log.dispose();
  });

  it('reconnects with a growing back-off while the build runs, and starts the log over with the replay', () => {
    const log = new BuildLog(client, 'b1', 100);
    send(client, { type: 'output', line: 'one' });
    client.sockets[0].drop();
    expect(client.sockets).toHaveLength(1);
    jest.advanceTimersByTime(499);
    expect(client.sockets).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(client.sockets).toHaveLength(2); // 500 ms
    client.sockets[1].drop();
    jest.advanceTimersByTime(999);
    expect(client.sockets).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(client.sockets).toHaveLength(3); // 1 s

    // The replay holds the whole (bounded) log: it replaces what was shown, not appended to it.
    send(client, { type: 'output', line: 'one' }, { type: 'output', line: 'two' });
    expect(log.lines).toEqual(['one', 'two']);

    // A message resets the back-off.
    client.sockets[2].drop();
    jest.advanceTimersByTime(500);
    expect(client.sockets).toHaveLength(4);
    log.dispose();
  });

  it('gives up after reconnects in a row that got no message, saying what to do', () => {
    const log = new BuildLog(client, 'b1', 100);
    for (let attempt = 0; attempt <= 8; attempt++) {
      client.sockets[client.sockets.length - 1].drop();
      jest.advanceTimersByTime(10_000);
    }
    expect(client.sockets).toHaveLength(9);
    expect(log.error).toMatchObject({ code: 'companion-unavailable', hint: expect.stringMatching(/Reload the page/) });
    log.dispose();
  });

  it('does not reconnect once the build has finished or the log is disposed', async () => {
    const finished = new BuildLog(client, 'b1', 100);
    send(client, { type: 'state', build: build('cancelled') });
    await finished.done.catch(() => undefined);
    jest.advanceTimersByTime(60_000);
    expect(client.sockets).toHaveLength(1);

    const disposed = new BuildLog(client, 'b2', 100);
    disposed.dispose();
    jest.advanceTimersByTime(60_000);
    await flush();
    expect(client.sockets).toHaveLength(2);
  });
});
