/** A notebook as Jupyter saves it, one code cell per source; `tags` by cell index. */
export function notebookJson(sources: string[], tags: Record<number, string[]> = {}): string {
  return `${JSON.stringify(
    {
      cells: sources.map((source, i) => ({
        cell_type: 'code',
        id: `cell-${i}`,
        metadata: tags[i] ? { tags: tags[i] } : {},
        source,
        outputs: [],
        execution_count: null
      })),
      // The kernel a notebook was written on: the runner uses the image's Python whatever it says.
      metadata: { kernelspec: { name: 'ariel-cpu', display_name: 'Python 3 (CPU container)', language: 'python' } },
      nbformat: 4,
      nbformat_minor: 5
    },
    null,
    1
  )}\n`;
}

/** A training notebook: defaults in a cell tagged `parameters`, then a cell that prints what it got. */
export const TRAIN_NOTEBOOK = notebookJson(
  [
    "lr = 0.001\nmodel = 'mlp'\naugment = True\nepochs = 1",
    'import os, sys\nprint("RESULT", repr(lr), repr(model), repr(augment), repr(epochs), os.getcwd())',
    'if epochs < 0:\n    raise ValueError("negative epochs")'
  ],
  { 0: ['parameters'] }
);

/** The code cells of an executed notebook: source, tags and printed text. */
export function executedCells(json: string): { source: string; tags: string[]; text: string }[] {
  const nb = JSON.parse(json) as {
    cells: { source: string | string[]; metadata: { tags?: string[] }; outputs?: { text?: string | string[] }[] }[];
  };
  const join = (text: string | string[] | undefined) => (Array.isArray(text) ? text.join('') : (text ?? ''));
  return nb.cells.map(cell => ({
    source: join(cell.source),
    tags: cell.metadata.tags ?? [],
    text: (cell.outputs ?? []).map(output => join(output.text)).join('')
  }));
}
