import * as React from 'react';
import { createRoot } from 'react-dom/client';
import type { ImageSummary } from '../api';
import { ImagesView } from '../components/ImagesView';
import type { IArielModel } from '../tokens';

// React's act() checks that it runs in a test environment.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const image = (tag: string, current: boolean | null): ImageSummary => ({
  reference: `ariel/digits:${tag}`,
  id: `sha256:${tag}`,
  project: 'digits',
  mode: 'notebook',
  accelerator: 'cpu',
  extras: [],
  size: 312_000_000,
  created: '2026-12-04T10:00:00Z',
  current,
  packageCount: 140
});

describe('ImagesView', () => {
  it('calls outdated only the images known not to be current, not those whose currency is unknown', () => {
    const model = {
      images: [image('current', true), image('old', false), image('unknown', null)],
      listErrors: {}
    } as unknown as IArielModel;
    const container = document.createElement('div');
    const root = createRoot(container);
    React.act(() => root.render(<ImagesView model={model} onRemove={() => undefined} />));
    const outdated = [...container.querySelectorAll('li')].map(item => [
      item.getAttribute('title'),
      item.textContent?.includes('outdated')
    ]);
    expect(outdated).toEqual([
      ['ariel/digits:current', false],
      ['ariel/digits:old', true],
      ['ariel/digits:unknown', false]
    ]);
    React.act(() => root.unmount());
  });
});
