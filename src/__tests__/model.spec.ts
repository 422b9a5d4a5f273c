import type { Build, ProjectSummary } from '../api';
import { ArielModel } from '../model';
import { deferred, FakeClient, flush, requestError, until } from './fakes';

const project = (root: string): ProjectSummary => ({
  root,
  name: root || 'home',
  dependencyFiles: [],
  config: {},
  warnings: []
});

const build = (id: string, state: Build['state']): Build => ({
  id,
  image: `ariel/p:notebook-cpu-${id}`,
  project: 'p',
  mode: 'notebook',
  accelerator: 'cpu',
  state,
  startedAt: '2026-12-04T10:00:00Z'
});

/** Answers for the three lists and the project of whatever path is asked. */
function lists(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    builds: { builds: [] },
    images: { images: [] },
    containers: { containers: [] },
    'kernels/drift': { kernels: [] },
    project: (init: { query?: Record<string, string | undefined> }) => project(init.query?.path ?? ''),
    ...overrides
  };
}

describe('ArielModel', () => {
  let model: ArielModel;
  afterEach(() => {
    model?.dispose();
    jest.useRealTimers();
  });

  it("asks for a new folder's project at once while it is shown", async () => {
    const client = new FakeClient(lists());
    model = new ArielModel(client);
    model.active = true;
    model.path = 'projects/digits';
    await flush();
    expect(model.project?.root).toBe('projects/digits');
    const asked = client.requests.filter(r => r.path === 'project').map(r => r.init.query?.path);
    expect(asked.at(-1)).toBe('projects/digits');
  });

  it('drops the old project when the folder changes while hidden, and asks only once shown', async () => {
    const client = new FakeClient(lists());
    model = new ArielModel(client);
    model.active = true;
    model.path = 'a';
    await flush();
    expect(model.project?.root).toBe('a');

    model.active = false;
    const before = client.requests.length;
    let changes = 0;
    model.changed.connect(() => changes++);
    model.path = 'b';
    expect(model.project).toBeNull(); // Not b's: nobody must act on it.
    expect(changes).toBe(1);
    await flush();
    expect(client.requests.slice(before).map(r => r.path)).not.toContain('project');

    model.active = true;
    await flush();
    expect(model.project?.root).toBe('b');
  });

  it("keeps the latest folder's project when an older answer arrives last", async () => {
    const answers = { a: deferred<ProjectSummary>(), b: deferred<ProjectSummary>() };
    const client = new FakeClient(
      lists({
        project: (init: { query?: Record<string, string | undefined> }) =>
          answers[init.query?.path as 'a' | 'b'].promise
      })
    );
    model = new ArielModel(client);
    model.path = 'a';
    model.active = true;
    model.path = 'b';
    answers.b.resolve(project('b'));
    await flush();
    answers.a.resolve(project('a'));
    await flush();
    expect(model.project?.root).toBe('b');
  });

  it('says why the project could not be read, with what to do', async () => {
    const client = new FakeClient(
      lists({
        project: requestError(404, {
          code: 'project-not-found',
          message: 'No folder "x".',
          hint: 'Open an existing folder.'
        })
      })
    );
    model = new ArielModel(client);
    model.path = 'x';
    model.active = true;
    await flush();
    expect(model.project).toBeNull();
    expect(model.projectError).toBe('No folder "x". Open an existing folder.');
  });

  it('shows the lists that loaded and says why the others did not', async () => {
    const client = new FakeClient(
      lists({
        builds: { builds: [build('b1', 'succeeded')] },
        images: requestError(503, {
          code: 'engine-unreachable',
          message: 'No Docker engine answers.',
          hint: 'Start Docker.'
        })
      })
    );
    model = new ArielModel(client);
    model.active = true;
    await until(() => model.builds.length > 0, 'the builds');
    expect(model.containers).toEqual([]);
    expect(model.listErrors).toEqual({ images: 'No Docker engine answers. Start Docker.' });
  });

  it('follows the live log of a build that runs, once per build', async () => {
    const client = new FakeClient(lists({ builds: { builds: [build('b1', 'running'), build('b0', 'succeeded')] } }));
    model = new ArielModel(client);
    model.active = true;
    await until(() => model.builds.length > 0, 'the builds');
    await model.refresh();
    expect(client.sockets.map(s => s.path.join('/'))).toEqual(['builds/b1/events']);
  });

  it('stands by while nothing shows it, and polls again once shown', async () => {
    jest.useFakeTimers();
    const client = new FakeClient(lists());
    model = new ArielModel(client);
    const listRequests = () => client.paths().filter(path => path === 'builds').length;

    await jest.advanceTimersByTimeAsync(30_000);
    expect(listRequests()).toBe(0);

    model.active = true;
    await jest.advanceTimersByTimeAsync(100);
    const shown = listRequests();
    expect(shown).toBeGreaterThan(0);
    await jest.advanceTimersByTimeAsync(12_000);
    expect(listRequests()).toBeGreaterThan(shown); // every 5 s

    model.active = false;
    await jest.advanceTimersByTimeAsync(100);
    const hidden = listRequests();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(listRequests()).toBe(hidden);
  });

  it('refreshes the lists after an action, whatever its outcome', async () => {
    const client = new FakeClient(
      lists({
        'images/prune': requestError(409, { code: 'image-in-use', message: 'In use.' })
      })
    );
    model = new ArielModel(client);
    model.active = true;
    await until(() => client.paths().includes('containers'), 'the first lists');
    const before = client.requests.length;
    await expect(model.prune()).rejects.toMatchObject({ code: 'image-in-use' });
    await until(() => client.paths().slice(before).includes('containers'), 'the lists again');
    expect(client.paths().slice(before).sort()).toEqual([
      'builds',
      'containers',
      'images',
      'images/prune',
      'kernels/drift'
    ]);
  });
});
