import type { JobLog } from '../api';
import { JobLogFollower } from '../widgets/jobLog';
import { FakeClient, until } from './fakes';

const part = (text: string, start: number, size: number, final: boolean, state = 'JOB_STATE_RUNNING'): JobLog => ({
  job: 'sweep-1',
  text,
  start,
  offset: start + text.length,
  size,
  state,
  final
});

describe("JobLogFollower: a local job's log, followed", () => {
  it('starts with the last part, then asks from each offset until the log can grow no more', async () => {
    const answers = [
      part('epoch 1\n', 0, 8, false),
      part('', 8, 8, false),
      part('epoch 2\nbye', 8, 19, true, 'JOB_STATE_SUCCEEDED')
    ];
    const client = new FakeClient({ 'cloud/jobs/7/log': () => answers.shift() });
    const follower = new JobLogFollower(client, 7, 100, 1);
    await follower.start();
    expect(client.requests.map(request => request.init.query?.offset)).toEqual([undefined, '8', '8']);
    expect(follower.lines).toEqual(['epoch 1', 'epoch 2', 'bye']);
    expect(follower.final).toBe(true);
    expect(follower.state).toBe('JOB_STATE_SUCCEEDED');
    expect(follower.truncated).toBe(false);
  });

  it('says when the first part left earlier output out, and keeps only the last lines', async () => {
    const client = new FakeClient({
      'cloud/jobs/3/log': part('a\nb\nc\nd\n', 5000, 5008, true, 'JOB_STATE_FAILED')
    });
    const follower = new JobLogFollower(client, 3, 2, 1);
    await follower.start();
    expect(follower.truncated).toBe(true);
    expect(follower.lines).toEqual(['c', 'd']);
  });

  it('stops with the error the server gave', async () => {
    const client = new FakeClient({ 'cloud/jobs/9/log': new Error('Job sweep-9 ran on Vertex AI') });
    const follower = new JobLogFollower(client, 9, 10, 1);
    await follower.start();
    expect(follower.error).toContain('Vertex AI');
    expect(client.requests).toHaveLength(1);
  });

  it('asks no more once disposed', async () => {
    const client = new FakeClient({ 'cloud/jobs/5/log': () => part('', 0, 0, false) });
    const follower = new JobLogFollower(client, 5, 10, 5);
    const done = follower.start();
    await until(() => client.requests.length >= 2, 'a second request');
    follower.dispose();
    await done;
    const asked = client.requests.length;
    await new Promise(resolve => setTimeout(resolve, 30));
    expect(client.requests.length).toBe(asked);
  });
});
