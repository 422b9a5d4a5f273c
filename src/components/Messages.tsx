import * as React from 'react';
import type { ErrorBody } from '../api';

/** What an empty list says: why it could not be loaded (with what to do), or that there is nothing yet. */
export function Empty({ error, text }: { error?: string; text: string }): JSX.Element {
  return <p className={error ? 'jp-Ariel-error' : 'jp-Ariel-muted'}>{error ?? text}</p>;
}

/** An error from the server: what went wrong, then what to do. */
export function ErrorText({ error }: { error: ErrorBody }): JSX.Element {
  return (
    <p className="jp-Ariel-error">
      {error.message}
      {error.hint && <span className="jp-Ariel-hint"> {error.hint}</span>}
    </p>
  );
}
