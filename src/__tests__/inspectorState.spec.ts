import type { ImageRecord } from '../api';
import { asBuiltView, choose, dockerfilesFor, type IInspectorChoice } from '../widgets/inspectorState';

const choice: IInspectorChoice = { mode: 'notebook', accelerator: 'gpu', compare: false };

describe("the Dockerfile inspector's pickers", () => {
  it('ask for the chosen Dockerfile, or for the CPU and the GPU one side by side', () => {
    expect(dockerfilesFor(choice)).toEqual([{ mode: 'notebook', accelerator: 'gpu' }]);
    expect(dockerfilesFor({ ...choice, mode: 'shell', compare: true })).toEqual([
      { mode: 'shell', accelerator: 'cpu' },
      { mode: 'shell', accelerator: 'gpu' }
    ]);
  });

  it('end the comparison when an accelerator is picked, and keep it when the mode changes', () => {
    const comparing = choose(choice, { compare: true });
    expect(comparing.compare).toBe(true);
    expect(choose(comparing, { mode: 'run' })).toEqual({ mode: 'run', accelerator: 'gpu', compare: true });
    expect(choose(comparing, { accelerator: 'cpu' })).toEqual({ mode: 'notebook', accelerator: 'cpu', compare: false });
  });
});

describe('Dockerfile as built', () => {
  const record = (current: ImageRecord['current']): ImageRecord => ({
    image: 'ariel/digits:notebook-cpu-old',
    packages: [],
    packageCount: 0,
    dockerfile: 'FROM python:3.11-slim\nRUN pip install numpy==1.26\n',
    current
  });

  it('says when only the files the Dockerfile copies changed', () => {
    const view = asBuiltView(record({ image: 'new', dockerfile: record(null).dockerfile, diff: '' }));
    expect(view).toMatchObject({ kind: 'compare', sameDockerfile: true });
  });

  it("shows a current image's Dockerfile alone", () => {
    expect(asBuiltView(record(null))).toEqual({ kind: 'single', text: record(null).dockerfile });
  });

  it('puts an outdated image beside the Dockerfile the project generates now', () => {
    const view = asBuiltView(
      record({ image: 'ariel/digits:notebook-cpu-new', dockerfile: 'FROM python:3.11-slim\n', diff: '-RUN' })
    );
    expect(view).toEqual({
      kind: 'compare',
      current: 'ariel/digits:notebook-cpu-new',
      sameDockerfile: false,
      pair: {
        a: { title: 'As built: ariel/digits:notebook-cpu-old', text: record(null).dockerfile },
        b: { title: 'Current: ariel/digits:notebook-cpu-new', text: 'FROM python:3.11-slim\n' }
      }
    });
  });
});
