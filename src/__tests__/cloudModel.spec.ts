import type { CloudGroup, CloudJob, CloudRequest, Submission, SubmissionMessage } from '../api';
import { CloudModel, endedMessage, groupEnded } from '../cloudModel';
import { FakeClient, flush } from './fakes';

const job = (experiment: number, state: string, final: boolean): CloudJob => ({
  id: experiment,
  group: 'sweep',
  experiment,
  attempt: 1,
  displayName: `sweep-${experiment}`,
  args: [],
  state,
  final,
  remoteName: null,
  console: null,
  error: null,
  updatedAt: '2026-12-04T10:00:00Z'
});

const group = (jobs: CloudJob[], extra: Partial<CloudGroup> = {}): CloudGroup => ({
  name: 'sweep',
  platform: 'vertex',
  target: 'trainer.train',
  cloudProject: 'p',
  region: 'us-central1',
  image: 'img',
  createdAt: '2026-12-04T10:00:00Z',
  submitting: false,
  jobs,
  ...extra
});

const submission = (state: Submission['state'], extra: Partial<Submission> = {}): Submission => ({
  id: 's1',
  group: 'sweep',
  state,
  jobs: 2,
  warnings: [],
  startedAt: '2026-12-04T10:00:00Z',
  ...extra
});

const request: CloudRequest = {
  path: '',
  target: 'trainer.train',
  args: [],
  experimentConfig: '',
  projectId: 'p',
  region: 'us-central1',
  machineType: 'n1-standard-4',
  labels: []
};

describe('groupEnded', () => {
  it.each([
    ['every job final', group([job(1, 'JOB_STATE_SUCCEEDED', true), job(2, 'JOB_STATE_FAILED', true)]), true],
    ['a job still running', group([job(1, 'JOB_STATE_SUCCEEDED', true), job(2, 'JOB_STATE_RUNNING', false)]), false],
    ['jobs still being submitted', group([job(1, 'JOB_STATE_SUCCEEDED', true)], { submitting: true }), false],
    ['no jobs yet', group([]), false]
  ])('%s: %s', (_, g, ended) => {
    expect(groupEnded(g)).toBe(ended);
  });
});

describe('endedMessage', () => {
  it('says all succeeded, or which did not and what to do', () => {
    expect(endedMessage(group([job(1, 'JOB_STATE_SUCCEEDED', true)]))).toEqual({
      ok: true,
      message: 'Cloud experiment sweep: all 1 job(s) succeeded.'
    });
    const failed = endedMessage(group([job(1, 'JOB_STATE_SUCCEEDED', true), job(2, 'JOB_STATE_FAILED', true)]));
    expect(failed.ok).toBe(false);
    expect(failed.message).toBe(
      'Cloud experiment sweep ended: 1 of 2 job(s) did not succeed (#2 failed). Resubmit them from the jobs list.'
    );
    expect(endedMessage(group([job(1, 'NOT_SUBMITTED', true)], { platform: 'local' })).message).toBe(
      'Local run sweep ended: 1 of 1 job(s) did not succeed (#1 not submitted).'
    );
  });
});

describe('CloudModel', () => {
  let model: CloudModel;
  afterEach(() => model?.dispose());

  it('signals once a group it saw unfinished has ended, and not for groups that had ended before', async () => {
    const answers: CloudGroup[][] = [
      [group([job(1, 'JOB_STATE_RUNNING', false)]), group([job(1, 'JOB_STATE_FAILED', true)], { name: 'old' })],
      [group([job(1, 'JOB_STATE_SUCCEEDED', true)]), group([job(1, 'JOB_STATE_FAILED', true)], { name: 'old' })],
      [group([job(1, 'JOB_STATE_SUCCEEDED', true)]), group([job(1, 'JOB_STATE_FAILED', true)], { name: 'old' })]
    ];
    const client = new FakeClient({ 'cloud/jobs': () => ({ groups: answers.shift(), warnings: [] }) });
    model = new CloudModel(client);
    const ended: string[] = [];
    model.groupEnded.connect((_, g) => ended.push(g.name));
    await model.refresh();
    expect(ended).toEqual([]);
    await model.refresh();
    expect(ended).toEqual(['sweep']);
    await model.refresh();
    expect(ended).toEqual(['sweep']);
  });

  it("shows Vertex AI's warnings, and why the jobs could not be listed", async () => {
    const client = new FakeClient({ 'cloud/jobs': { groups: [], warnings: ['Vertex AI did not answer for sweep.'] } });
    model = new CloudModel(client);
    await model.refresh();
    expect(model.jobsError).toBe('Vertex AI did not answer for sweep.');
  });

  describe("following a submission's events", () => {
    async function submitted(): Promise<{ client: FakeClient; send: (m: SubmissionMessage) => void }> {
      const client = new FakeClient({
        'cloud/submissions': { submission: submission('running') },
        'cloud/jobs': { groups: [], warnings: [] }
      });
      model = new CloudModel(client);
      await model.submit(request);
      const socket = client.sockets[0];
      expect(socket.path).toEqual(['cloud', 'submissions', 's1', 'events']);
      return { client, send: message => socket.receive(message) };
    }

    it('tracks the phase, the build step and the layers pushed', async () => {
      const { send } = await submitted();
      send({ type: 'phase', phase: 'build', detail: 'Building the cloud image' });
      send({ type: 'step', index: 2, total: 5, instruction: 'RUN pip install' });
      expect(model.progress).toMatchObject({ phase: 'Building the cloud image', step: { index: 2, total: 5 } });
      send({ type: 'push', layer: 'a1', status: 'Pushing' });
      send({ type: 'push', layer: 'b2', status: 'Pushed' });
      send({ type: 'push', layer: 'a1', status: 'Layer already exists' });
      expect(model.progress?.layers).toEqual({ a1: 'Layer already exists', b2: 'Pushed' });
    });

    it("tracks each planned job's creation: waiting, retrying, created or failed", async () => {
      const { send } = await submitted();
      send({
        type: 'planned',
        group: 'sweep',
        image: 'img',
        jobs: [
          { index: 1, displayName: 'sweep-1', args: ['--lr', '0.1'] },
          { index: 2, displayName: 'sweep-2', args: ['--lr', '0.2'] },
          { index: 3, displayName: 'sweep-3', args: ['--lr', '0.3'] }
        ]
      });
      expect(model.progress?.jobs.map(j => j.status)).toEqual(['waiting', 'waiting', 'waiting']);
      send({ type: 'retry', index: 2, attempt: 1, delayMs: 1000, error: 'quota' });
      send({ type: 'created', index: 1, name: 'projects/p/locations/l/customJobs/1', adopted: false });
      send({ type: 'failed', index: 3, error: 'invalid machine' });
      expect(model.progress?.jobs.map(j => [j.status, j.name ?? j.error])).toEqual([
        ['created', 'projects/p/locations/l/customJobs/1'],
        ['retrying', 'quota'],
        ['failed', 'invalid machine']
      ]);
    });

    it('ends with the outcome of the final state, and signals a failed submission with why', async () => {
      const { send } = await submitted();
      const failures: string[] = [];
      model.submissionFailed.connect((_, { group: g, error }) => failures.push(`${g}: ${error.message}`));
      send({
        type: 'state',
        submission: submission('succeeded', { outcome: { group: 'sweep', created: 2, failed: 0, skipped: 0 } })
      });
      expect(model.progress?.phase).toBe('Submitted: 2 job(s) created in sweep');
      expect(failures).toEqual([]);

      send({
        type: 'state',
        submission: submission('failed', { error: { code: 'push-failed', message: 'The push was refused.' } })
      });
      expect(model.progress?.phase).toBe('Failed: The push was refused.');
      expect(failures).toEqual(['sweep: The push was refused.']);
    });

    it('says so when the connection is lost before the end, and lists the jobs again', async () => {
      const { client } = await submitted();
      const before = client.paths().filter(p => p === 'cloud/jobs').length;
      client.sockets[0].drop();
      await flush();
      expect(model.progress?.phase).toMatch(/Connection lost/);
      expect(client.paths().filter(p => p === 'cloud/jobs').length).toBe(before + 1);
    });
  });
});
