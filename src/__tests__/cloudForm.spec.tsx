import { StateDB } from '@jupyterlab/statedb';
import { Signal } from '@lumino/signaling';
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import type { CloudCatalog, CloudCheck, CloudPreview, CloudRequest } from '../api';
import { CloudForm } from '../cloudPanel';
import type { IArielModel, ICloudModel } from '../tokens';
import { EMPTY_FORM, stateKey, type ICloudFormValues } from '../widgets/cloudFormState';
import { CloudFormWidget } from '../widgets/cloudFormWidget';

// React's act() checks that it runs in a test environment.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The parts of the Ariel model the form reads: the project shown, and its change signal. */
class FakeModel {
  readonly changed = new Signal<this, void>(this);
  project: { root: string } | null = null;
  path = '';
  active = false;
  show(root: string): void {
    this.project = { root };
    this.path = root;
    this.changed.emit();
  }
}

const CATALOG: CloudCatalog = {
  machineFamilies: [
    {
      family: 'n1',
      machineTypes: ['n1-standard-4'],
      accelerators: { NVIDIA_TESLA_T4: [1, 2] },
      acceleratorRequired: false
    }
  ],
  regions: { 'us-central1': ['NVIDIA_TESLA_T4'] }
};

const PREVIEW: CloudPreview = {
  count: 2,
  jobs: [
    { index: 1, args: [] },
    { index: 2, args: [] }
  ],
  warnings: []
};

function fakeCloud(answer: CloudCheck): { cloud: ICloudModel; submitted: CloudRequest[]; checked: CloudRequest[] } {
  const submitted: CloudRequest[] = [];
  const checked: CloudRequest[] = [];
  const cloud = {
    changed: new Signal<unknown, void>({}),
    catalog: CATALOG,
    progress: null,
    groups: [],
    active: false,
    loadCatalog: async () => undefined,
    preview: async () => PREVIEW,
    checkEnvironment: async (request: CloudRequest) => (checked.push(request), answer),
    submit: async (request: CloudRequest) => {
      submitted.push(request);
      return { id: 's', group: 'g', state: 'running', jobs: 2, warnings: [], startedAt: '' };
    }
  } as unknown as ICloudModel;
  return { cloud, submitted, checked };
}

describe('CloudFormWidget: the form keeps its last values per project', () => {
  it("restores each project's values when the file browser goes back to it, and after a reload", async () => {
    const state = new StateDB();
    const model = new FakeModel();
    const { cloud } = fakeCloud({ check: {} as CloudCheck['check'], warnings: [] });
    const options = {
      model: model as unknown as IArielModel,
      cloud,
      state,
      currentNotebook: () => null,
      onError: () => undefined
    };
    const form = new CloudFormWidget(options);
    model.show('digits');
    await form.ready;
    form.change({ projectId: 'vision-lab', target: 'trainer.train', replicas: 2 });

    model.show('vision');
    await form.ready;
    expect(form.values).toEqual(EMPTY_FORM);

    model.show('digits');
    await form.ready;
    expect(form.values).toMatchObject({ projectId: 'vision-lab', target: 'trainer.train', replicas: 2 });
    expect(await state.fetch(stateKey('digits'))).toMatchObject({ projectId: 'vision-lab' });
    form.dispose();

    const reloaded = new CloudFormWidget(options);
    model.show('digits');
    await reloaded.ready;
    expect(reloaded.values.projectId).toBe('vision-lab');
    reloaded.dispose();
  });

  it('keeps a target it was opened for over the saved one, even before the project is known', async () => {
    const state = new StateDB();
    await state.save(stateKey('digits'), { ...EMPTY_FORM, target: 'old.py', projectId: 'p' });
    const model = new FakeModel();
    const { cloud } = fakeCloud({ check: {} as CloudCheck['check'], warnings: [] });
    const form = new CloudFormWidget({
      model: model as unknown as IArielModel,
      cloud,
      state,
      currentNotebook: () => null,
      onError: () => undefined
    });
    const opened = form.setTarget('train.ipynb');
    model.show('digits');
    await opened;
    await form.ready;
    expect(form.values).toMatchObject({ target: 'train.ipynb', projectId: 'p' });
    form.dispose();
  });
});

describe('CloudForm: Submit checks the environment first', () => {
  const values: ICloudFormValues = { ...EMPTY_FORM, target: 'trainer.train', projectId: 'p', replicas: 1 };

  async function clickSubmit(answer: CloudCheck, confirmed: boolean) {
    const { cloud, submitted, checked } = fakeCloud(answer);
    const asked: string[][] = [];
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    React.act(() =>
      root.render(
        <CloudForm
          model={cloud}
          path="digits"
          projectRoot="digits"
          currentNotebook={() => null}
          values={values}
          onChange={() => undefined}
          confirm={async warnings => (asked.push(warnings), confirmed)}
          onError={message => {
            throw new Error(message);
          }}
        />
      )
    );
    const button = () => [...container.querySelectorAll('button')].find(b => b.textContent?.startsWith('Submit'))!;
    // React applies the form's updates when each act() ends: wait in short acts.
    const settle = async (condition: () => boolean, what: string) => {
      for (let i = 0; i < 200 && !condition(); i++) {
        await React.act(() => new Promise(resolve => setTimeout(resolve, 20)));
      }
      if (!condition()) {
        throw new Error(`Timed out waiting for ${what}: ${container.textContent}`);
      }
    };
    await settle(() => button().textContent === 'Submit 2 jobs' && !button().disabled, 'the preview');
    await React.act(async () => button().click());
    await settle(() => checked.length === 1 && !button().disabled, 'the check and the submission');
    const text = container.textContent ?? '';
    React.act(() => root.unmount());
    container.remove();
    return { submitted, asked, text, checked };
  }

  it('asks to confirm the warnings, and does not submit when declined', async () => {
    const warnings = ['numpy 2.0.1 in the cloud image, 1.26.4 in the notebook image'];
    const { submitted, asked, checked } = await clickSubmit({ check: {} as CloudCheck['check'], warnings }, false);
    expect(asked).toEqual([warnings]);
    expect(submitted).toEqual([]);
    expect(checked[0].distributed).toEqual({ replicas: 1 });
  });

  it('submits the checked request when the warnings are confirmed', async () => {
    const { submitted, checked } = await clickSubmit({ check: {} as CloudCheck['check'], warnings: ['differs'] }, true);
    expect(submitted).toEqual(checked);
  });

  it('shows the ok line and submits without asking when all is the same', async () => {
    const ok = "Same 143 packages as the notebook's image.";
    const { submitted, asked, text } = await clickSubmit({ check: {} as CloudCheck['check'], warnings: [], ok }, false);
    expect(asked).toEqual([]);
    expect(submitted).toHaveLength(1);
    expect(text).toContain(ok);
  });
});
