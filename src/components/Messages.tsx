import * as React from 'react';

/** What an empty list says: why it could not be loaded (with what to do), or that there is nothing yet. */
export function Empty({ error, text }: { error?: string; text: string }): JSX.Element {
  return <p className={error ? 'jp-Ariel-error' : 'jp-Ariel-muted'}>{error ?? text}</p>;
}
