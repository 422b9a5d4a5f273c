import * as React from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { AddToProjectResult, Container, ImageSummary, KernelDrift, ProjectSummary } from '../api';
import { ImagesView } from '../components/ImagesView';
import { ProjectView } from '../components/ProjectView';
import { RunningView } from '../components/RunningView';
import {
  changesPackages,
  describeAddResult,
  describeDrift,
  describeRunSettings,
  PipWatcher,
  runSettingsSummary
} from '../drift';
import { ArielModel } from '../model';
import type { IArielModel } from '../tokens';
import { deferred, FakeClient, flush, requestError, until } from './fakes';

// React's act() checks that it runs in a test environment.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const kernel = (drift: Partial<KernelDrift['drift']>, container = 'c0ffee'): KernelDrift => ({
  container,
  name: 'ariel-kernel-1',
  project: 'digits',
  image: 'ariel/digits:notebook-cpu-0123456789ab',
  recorded: true,
  drift: { added: [], removed: [], changed: [], ...drift }
});

const tqdmEinops = kernel({
  added: [
    { name: 'tqdm', version: '4.66.4' },
    { name: 'einops', version: '0.8.0' }
  ]
});

describe('the drift in words', () => {
  it('names what a kernel installed that the project does not hold', () => {
    expect(describeDrift(tqdmEinops)).toEqual({
      notInProject: '2 packages installed here are not in the project: tqdm 4.66.4, einops 0.8.0',
      reported: [],
      addable: true
    });
    expect(describeDrift(kernel({ added: [{ name: 'tqdm', version: '4.66.4' }] })).notInProject).toBe(
      '1 package installed here is not in the project: tqdm 4.66.4'
    );
  });

  it('counts an upgrade as not in the project, and reports removed and downgraded packages without offering to write them', () => {
    const words = describeDrift(
      kernel({
        removed: [{ name: 'asttokens', version: '2.4.1' }],
        changed: [
          { name: 'numpy', version: '2.1.0', recorded: '2.0.0', direction: 'upgraded' },
          { name: 'six', version: '1.15.0', recorded: '1.16.0', direction: 'downgraded' }
        ]
      })
    );
    expect(words.notInProject).toBe('1 package installed here is not in the project: numpy 2.1.0 (image: 2.0.0)');
    expect(words.reported).toEqual([
      '1 package of the image was removed here: asttokens 2.4.1; the project keeps it.',
      '1 package downgraded here: six 1.15.0 (image: 1.16.0); not written to the project.'
    ]);
    expect(describeDrift(kernel({ removed: [{ name: 'asttokens', version: '2.4.1' }] })).addable).toBe(false);
  });

  it('says what Add to the project wrote, or for a pyproject-only project the lines and where they go', () => {
    const written: AddToProjectResult = {
      file: 'requirements.txt',
      written: true,
      lines: ['tqdm==4.66.4', 'einops==0.8.0'],
      notWritten: [{ name: 'asttokens', version: null, recorded: '2.4.1', reason: 'removed' }]
    };
    expect(describeAddResult(written)).toEqual({
      ok: true,
      lines: ['tqdm==4.66.4', 'einops==0.8.0'],
      message:
        "Added 2 lines to requirements.txt: tqdm==4.66.4, einops==0.8.0. The kernel's image is now outdated: the next start or restart builds the new one. Not written: asttokens (2.4.1) was removed in the kernel."
    });
    const pyproject = describeAddResult({
      file: 'pyproject.toml',
      written: false,
      lines: ['tqdm==4.66.4'],
      where: 'the dependencies list of the [project] table',
      notWritten: []
    });
    expect(pyproject.ok).toBe(false);
    expect(pyproject.lines).toEqual(['tqdm==4.66.4']);
    expect(pyproject.message).toBe(
      "This project's dependencies live in pyproject.toml: add these lines to the dependencies list of the [project] table, then restart the kernel."
    );
  });

  it('shows the run-time settings in force compactly', () => {
    const settings = {
      shm_size: 1024 ** 3,
      mounts: [{ source: '/home/u/datasets/mnist', target: '/data/mnist', readonly: true }],
      memory: 8 * 1024 ** 3,
      pids_limit: 4096,
      gpus: ['0', '1'],
      env: ['GOOGLE_CLOUD_PROJECT'],
      cloud_credentials: true
    };
    expect(runSettingsSummary(settings)).toBe('shm 1g · 1 mount · memory 8g · GPUs 0,1 · cloud credentials on');
    expect(describeRunSettings(settings)).toEqual([
      ['Shared memory', '1g'],
      ['Mounts', '/home/u/datasets/mnist → /data/mnist (ro)'],
      ['Limits', 'memory 8g, pids 4096'],
      ['GPUs', 'devices 0, 1'],
      ['Environment', 'GOOGLE_CLOUD_PROJECT'],
      ['Cloud credentials', 'on (read-only)']
    ]);
    expect(
      runSettingsSummary({ ipc: 'host', mounts: [], pids_limit: -1, gpus: 'all', env: [], cloud_credentials: false })
    ).toBe('host IPC · no mounts · GPUs all · cloud credentials off');
  });
});

describe('refreshing the drift after a pip cell', () => {
  it.each([
    ['%pip install tqdm', true],
    ['!pip install -q einops==0.8.0', true],
    ['import os\n%pip uninstall -y six', true],
    ['!python -m pip install tqdm', true],
    ['! pip3 install tqdm', true],
    ['%conda install numpy', true],
    ['%pip list', false],
    ['print("pip install tqdm")', false],
    ['# pip install tqdm', false]
  ])('%s changes packages: %s', (source, expected) => {
    expect(changesPackages(source)).toBe(expected);
  });

  it('asks the drift again after a pip cell of a container kernel, not of a local one or after other cells', async () => {
    const refreshDrift = jest.fn(async () => undefined);
    const watcher = new PipWatcher({ refreshDrift });
    expect(await watcher.cellExecuted('python3', '%pip install tqdm')).toBe(false);
    expect(await watcher.cellExecuted('ariel-cpu', 'x = 1')).toBe(false);
    expect(await watcher.cellExecuted(undefined, '%pip install tqdm')).toBe(false);
    expect(refreshDrift).not.toHaveBeenCalled();
    expect(await watcher.cellExecuted('ariel-cpu', '%pip install tqdm')).toBe(true);
    expect(await watcher.cellExecuted('ariel-gpu', '!pip uninstall -y tqdm')).toBe(true);
    expect(refreshDrift).toHaveBeenCalledTimes(2);
  });

  it("the model's drift refresh asks only the drift, shows it and says when it could not", async () => {
    let answer: unknown = { kernels: [tqdmEinops] };
    const client = new FakeClient({ 'kernels/drift': () => answer });
    const model = new ArielModel(client);
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refreshDrift();
    expect(client.paths()).toEqual(['kernels/drift']);
    expect(model.drift).toEqual([tqdmEinops]);
    expect(changes).toBe(1);
    answer = requestError(503, {
      code: 'engine-unreachable',
      message: 'The Docker engine does not answer.',
      hint: 'Start it.'
    });
    await model.refreshDrift();
    expect(model.drift).toEqual([tqdmEinops]);
    expect(model.listErrors.drift).toMatch(/Docker engine does not answer/);
    model.dispose();
  });

  it("Add to the project posts the kernel's container and project, then refreshes the project and the lists", async () => {
    const result: AddToProjectResult = {
      file: 'requirements.txt',
      written: true,
      lines: ['tqdm==4.66.4'],
      notWritten: []
    };
    const client = new FakeClient({
      'kernels/drift/add': result,
      'kernels/drift': { kernels: [] },
      builds: { builds: [] },
      images: { images: [] },
      containers: { containers: [] },
      project: { root: 'digits', name: 'digits', dependencyFiles: ['requirements.txt'], config: {}, warnings: [] }
    });
    const model = new ArielModel(client);
    model.path = 'elsewhere';
    model.active = true;
    await until(() => client.paths().includes('kernels/drift'), 'the first lists');
    const before = client.requests.length;
    expect(await model.addToProject(tqdmEinops)).toEqual(result);
    await until(() => client.paths().slice(before).includes('images'), 'the lists again');
    const post = client.requests.find(r => r.path === 'kernels/drift/add');
    expect(post?.init).toEqual({ method: 'POST', json: { path: 'digits', container: 'c0ffee' } });
    expect(client.paths().slice(before)).toEqual(expect.arrayContaining(['project', 'images', 'kernels/drift']));
    model.dispose();
  });
});

describe('the sidebar views', () => {
  let container: HTMLDivElement;
  let root: Root;
  beforeEach(() => {
    container = document.createElement('div');
    root = createRoot(container);
  });
  afterEach(() => React.act(() => root.unmount()));

  const kernelContainer: Container = {
    id: 'c0ffee',
    name: 'ariel-kernel-1',
    role: 'kernel',
    project: 'digits',
    image: 'ariel/digits:notebook-cpu-0123456789ab',
    state: 'running',
    status: 'Up 3 minutes',
    created: '2026-12-04T10:00:00Z'
  };

  it('marks a drifted kernel, and Add to the project shows what was written in place of the offer', async () => {
    const answer = deferred<AddToProjectResult>();
    const addToProject = jest.fn(() => answer.promise);
    const model = {
      containers: [kernelContainer, { ...kernelContainer, id: 'beef', name: 'ariel-kernel-2' }],
      drift: [tqdmEinops, kernel({}, 'beef')],
      listErrors: {},
      addToProject
    } as unknown as IArielModel;
    const render = () =>
      React.act(() =>
        root.render(
          <RunningView model={model} kernels={[]} onStopKernel={() => undefined} onStopContainer={() => undefined} />
        )
      );
    render();
    const rows = [...container.querySelectorAll('li[data-container-id]')];
    expect(rows.map(row => row.textContent?.includes('drifted'))).toEqual([true, false]);
    const drift = container.querySelector('[data-drift-of="c0ffee"]');
    expect(drift?.textContent).toContain('2 packages installed here are not in the project: tqdm 4.66.4, einops 0.8.0');
    expect(container.querySelector('[data-drift-of="beef"]')).toBeNull();

    const button = [...drift!.querySelectorAll('button')].find(b => b.textContent === 'Add to the project');
    React.act(() => button!.click());
    expect(addToProject).toHaveBeenCalledWith(tqdmEinops);
    expect(container.querySelector('.jp-Ariel-addToProject')?.textContent).toBe('Adding…');
    await React.act(async () => {
      answer.resolve({
        file: 'requirements.txt',
        written: true,
        lines: ['tqdm==4.66.4', 'einops==0.8.0'],
        notWritten: []
      });
      await flush();
    });
    const after = container.querySelector('[data-drift-of="c0ffee"]');
    expect(after?.textContent).toContain('Added 2 lines to requirements.txt: tqdm==4.66.4, einops==0.8.0.');
    expect(after?.querySelector('.jp-Ariel-addToProject')).toBeNull();
  });

  it('shows the lines to add by hand for a pyproject-only project, and a failure in words', async () => {
    let answer: Promise<AddToProjectResult> = Promise.resolve({
      file: 'pyproject.toml',
      written: false,
      lines: ['tqdm==4.66.4', 'einops==0.8.0'],
      where: 'the dependencies list of the [project] table',
      notWritten: []
    });
    const model = {
      containers: [kernelContainer],
      drift: [tqdmEinops],
      listErrors: {},
      addToProject: () => answer
    } as unknown as IArielModel;
    React.act(() =>
      root.render(
        <RunningView model={model} kernels={[]} onStopKernel={() => undefined} onStopContainer={() => undefined} />
      )
    );
    const click = async () => {
      React.act(() => (container.querySelector('.jp-Ariel-addToProject') as HTMLButtonElement).click());
      await React.act(async () => flush());
    };
    await click();
    expect(container.querySelector('.jp-Ariel-addLines')?.textContent).toBe('tqdm==4.66.4\neinops==0.8.0');
    expect(container.textContent).toContain('add these lines to the dependencies list of the [project] table');
    expect(container.querySelector('.jp-Ariel-addToProject')).not.toBeNull();

    answer = Promise.reject(
      requestError(404, { code: 'not-found', message: 'No running kernel container c0ffee.', hint: 'List them.' })
    );
    await click();
    expect(container.textContent).toContain('No running kernel container c0ffee.');
  });

  it("shows each image's package count, which opens its list", async () => {
    const image: ImageSummary = {
      reference: 'ariel/digits:notebook-cpu-0123456789ab',
      id: 'sha256:1',
      project: 'digits',
      mode: 'notebook',
      accelerator: 'cpu',
      extras: [],
      size: 312_000_000,
      created: '2026-12-04T10:00:00Z',
      current: true,
      packageCount: 2
    };
    const imageRecord = jest.fn(async () => ({
      image: image.reference,
      packages: [
        { name: 'six', version: '1.16.0' },
        { name: 'tqdm', version: '4.66.4' }
      ],
      packageCount: 2,
      dockerfile: '',
      current: null
    }));
    const model = {
      images: [image, { ...image, reference: 'ariel/digits:notebook-cpu-old', packageCount: null }],
      listErrors: {},
      imageRecord
    } as unknown as IArielModel;
    const open = jest.fn();
    React.act(() => root.render(<ImagesView model={model} onRemove={() => undefined} onOpenDockerfile={open} />));
    const counts = [...container.querySelectorAll('li[data-image]')].map(
      li => li.querySelector('.jp-Ariel-packageCount')?.textContent ?? li.textContent
    );
    expect(counts[0]).toBe('2 packages');
    expect(counts[1]).toContain('no package list');

    await React.act(async () => {
      (container.querySelector('.jp-Ariel-packageCount') as HTMLButtonElement).click();
      await flush();
    });
    expect(imageRecord).toHaveBeenCalledWith(image.reference);
    expect([...container.querySelectorAll('.jp-Ariel-packages li')].map(li => li.textContent)).toEqual([
      'six 1.16.0',
      'tqdm 4.66.4'
    ]);
    React.act(() => (container.querySelector('.jp-Ariel-imageDockerfile') as HTMLButtonElement).click());
    expect(open).toHaveBeenCalledWith(image.reference);
    React.act(() => (container.querySelector('.jp-Ariel-packageCount') as HTMLButtonElement).click());
    expect(container.querySelector('.jp-Ariel-packages')).toBeNull();
  });

  it('shows the run-time settings in force in the project section', () => {
    const project: ProjectSummary = {
      root: 'digits',
      name: 'digits',
      dependencyFiles: ['requirements.txt'],
      config: {},
      warnings: [],
      runSettings: {
        shm_size: 2 * 1024 ** 3,
        mounts: [],
        pids_limit: 4096,
        gpus: 'all',
        env: [],
        cloud_credentials: false
      }
    };
    const model = { project, projectError: null } as unknown as IArielModel;
    React.act(() => root.render(<ProjectView model={model} />));
    expect(container.querySelector('.jp-Ariel-runSettings summary')?.textContent).toBe(
      'Run: shm 2g · no mounts · GPUs all · cloud credentials off'
    );
    expect(container.querySelector('.jp-Ariel-runSettings dl')?.textContent).toContain('Cloud credentialsoff');
  });
});
