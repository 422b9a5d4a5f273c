import { Button, deleteIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Empty } from './Messages';
import { formatAge, formatSize } from '../format';
import type { IArielModel } from '../tokens';

/** The project's images with size and age; the ones whose content hash is not current can be pruned. */
export function ImagesView({
  model,
  onRemove
}: {
  model: IArielModel;
  onRemove: (reference: string) => void;
}): JSX.Element {
  const { images, listErrors } = model;
  if (!images.length) {
    return <Empty error={listErrors.images} text={'No images of this project yet.'} />;
  }
  return (
    <ul className="jp-Ariel-list">
      {images.map(image => (
        <li key={image.reference} className="jp-Ariel-listItem" title={image.reference}>
          <span className="jp-Ariel-grow jp-Ariel-imageKind">
            {image.mode} · {image.accelerator.toUpperCase()}
          </span>
          {/* null: whether it is current cannot be told (the project folder is gone, its config invalid). */}
          {image.current === false && (
            <span
              className="jp-Ariel-state"
              title="Its content hash is not the project's current one: prune removes it"
            >
              outdated
            </span>
          )}
          <span className="jp-Ariel-muted">
            {formatSize(image.size)} · {formatAge(image.created)}
          </span>
          <Button small minimal onClick={() => onRemove(image.reference)} title={`Remove ${image.reference}`}>
            <deleteIcon.react tag="span" elementSize="small" />
          </Button>
        </li>
      ))}
    </ul>
  );
}
