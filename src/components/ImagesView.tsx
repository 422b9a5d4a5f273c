import { Button, deleteIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Empty } from './Messages';
import type { Distribution, ImageSummary } from '../api';
import { formatAge, formatSize } from '../format';
import { describeError } from '../request';
import type { IArielModel } from '../tokens';

/** An image's package list as the sidebar shows it once opened. */
type Packages =
  { state: 'loading' } | { state: 'loaded'; packages: Distribution[] } | { state: 'failed'; error: string };

/**
 * The project's images with size, age and package count; the count opens the image's package
 * list. The ones whose content hash is not current can be pruned.
 */
export function ImagesView({
  model,
  onRemove,
  onOpenDockerfile
}: {
  model: IArielModel;
  onRemove: (reference: string) => void;
  /** Opens the Dockerfile an image was built from (`CommandIDs.openImageDockerfile`); without it, no button. */
  onOpenDockerfile?: (reference: string) => void;
}): JSX.Element {
  const { images, listErrors } = model;
  const [open, setOpen] = React.useState<Record<string, Packages>>({});
  if (!images.length) {
    return <Empty error={listErrors.images} text={'No images of this project yet.'} />;
  }
  const toggle = (reference: string) => {
    if (open[reference]) {
      const rest = { ...open };
      delete rest[reference];
      setOpen(rest);
      return;
    }
    setOpen(all => ({ ...all, [reference]: { state: 'loading' } }));
    model.imageRecord(reference).then(
      record =>
        setOpen(all =>
          all[reference] ? { ...all, [reference]: { state: 'loaded', packages: record.packages } } : all
        ),
      error =>
        setOpen(all =>
          all[reference] ? { ...all, [reference]: { state: 'failed', error: describeError(error) } } : all
        )
    );
  };
  return (
    <ul className="jp-Ariel-list">
      {images.map(image => (
        <React.Fragment key={image.reference}>
          <li className="jp-Ariel-listItem" title={image.reference} data-image={image.reference}>
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
            <PackageCount image={image} open={open[image.reference] !== undefined} onToggle={toggle} />
            <span className="jp-Ariel-muted">
              {formatSize(image.size)} · {formatAge(image.created)}
            </span>
            {onOpenDockerfile && image.packageCount !== null && (
              <Button
                small
                minimal
                className="jp-Ariel-imageDockerfile"
                onClick={() => onOpenDockerfile(image.reference)}
                aria-label={`Dockerfile as built of ${image.reference}`}
                title={`Open the Dockerfile ${image.reference} was built from`}
              >
                as built
              </Button>
            )}
            <Button small minimal onClick={() => onRemove(image.reference)} title={`Remove ${image.reference}`}>
              <deleteIcon.react tag="span" elementSize="small" />
            </Button>
          </li>
          {open[image.reference] && (
            <li className="jp-Ariel-packageList" aria-label={`Packages of ${image.reference}`}>
              <PackageList packages={open[image.reference]} />
            </li>
          )}
        </React.Fragment>
      ))}
    </ul>
  );
}

/** "143 packages", a button that opens the list; nothing to open for an image built before records. */
function PackageCount({
  image,
  open,
  onToggle
}: {
  image: ImageSummary;
  open: boolean;
  onToggle: (reference: string) => void;
}): JSX.Element {
  if (image.packageCount === null) {
    return (
      <span className="jp-Ariel-muted" title="Built before Ariel recorded images' packages: rebuild it to see them">
        no package list
      </span>
    );
  }
  return (
    <Button
      small
      minimal
      className="jp-Ariel-packageCount"
      aria-expanded={open}
      onClick={() => onToggle(image.reference)}
      title={open ? 'Hide the package list' : `Show the ${image.packageCount} installed distributions`}
    >
      {image.packageCount} packages
    </Button>
  );
}

function PackageList({ packages }: { packages: Packages }): JSX.Element {
  if (packages.state === 'loading') {
    return <span className="jp-Ariel-muted">Loading the package list…</span>;
  }
  if (packages.state === 'failed') {
    return <span className="jp-Ariel-error">{packages.error}</span>;
  }
  return (
    <ul className="jp-Ariel-packages">
      {packages.packages.map(p => (
        <li key={p.name}>
          <code>
            {p.name} {p.version}
          </code>
        </li>
      ))}
    </ul>
  );
}
