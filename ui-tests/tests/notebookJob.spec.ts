import { expect, test } from '@jupyterlab/galata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeProjectImages } from './cloudForm';

/**
 * A notebook submitted from the sidebar as cloud jobs: the open notebook as the target, an
 * experiment config, an output folder; the companion builds the cloud image with the notebook
 * runner, pushes it to the registry on loopback, and the Vertex AI emulator runs the jobs with its
 * stand-in for Cloud Storage (ui-tests/cloud-services.mjs), where the executed notebooks land.
 */
const SCREENSHOTS = process.env.ARIEL_UI_SCREENSHOTS ?? join(__dirname, '..', 'test-results', 'screenshots');
const ROOT = process.env.ARIEL_UI_ROOT ?? '';
const SERVICES = join(process.env.ARIEL_UI_KERNELS ?? '', 'cloud-services.json');
const PROJECT = 'notebook-demo';
const GROUP = 'nb-sweep';

/** A notebook as Jupyter saves it: defaults in a cell tagged `parameters`, then a cell printing them. */
function notebook(): string {
  const cell = (source: string, tags: string[] = []) => ({
    id: tags[0] ?? 'train',
    cell_type: 'code',
    execution_count: null,
    metadata: tags.length ? { tags } : {},
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [cell("lr = 0.001\nmodel = 'mlp'", ['parameters']), cell('print("RESULT", repr(lr), repr(model))')],
    // Opening it here starts Jupyter's own kernel (no container build); the job uses the image's Python.
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  });
}

/** An executed notebook's code cells: source, tags and printed text. */
function executedCells(file: string): { source: string; tags: string[]; text: string }[] {
  const text = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join('') : (value ?? ''));
  const nb = JSON.parse(readFileSync(file, 'utf8')) as {
    cells: { source: string | string[]; metadata: { tags?: string[] }; outputs?: { text?: string | string[] }[] }[];
  };
  return nb.cells.map(cell => ({
    source: text(cell.source),
    tags: cell.metadata.tags ?? [],
    text: (cell.outputs ?? []).map(output => text(output.text)).join('')
  }));
}

test.afterAll(() => removeProjectImages(PROJECT));

test("the open notebook submitted from its toolbar's button runs as cloud jobs that keep their executed notebooks", async ({
  page,
  tmpPath
}) => {
  // The cloud image with the notebook runner, and two jobs' containers, on a busy machine.
  test.setTimeout(900_000);
  const { registry, gcsRoot } = JSON.parse(readFileSync(SERVICES, 'utf8')) as { registry: string; gcsRoot: string };
  // A project of its own in the test's folder, which Galata removes afterwards.
  const folder = join(ROOT, tmpPath, PROJECT);
  mkdirSync(join(folder, 'notebooks'), { recursive: true });
  writeFileSync(join(folder, '.ariel.json'), '{}\n');
  writeFileSync(join(folder, 'requirements.txt'), 'six\n');
  writeFileSync(join(folder, 'notebooks', 'train.ipynb'), notebook());

  await page.filebrowser.open(`${tmpPath}/${PROJECT}/notebooks/train.ipynb`);
  await page.sidebar.openTab('jp-ariel-sidebar');
  const sidebar = page.locator('#jp-ariel-sidebar');
  await expect(sidebar.locator('.jp-Ariel-project')).toContainText(PROJECT);
  // The notebook toolbar's button opens the form with the notebook as its target, relative to the project.
  await page.locator('.jp-NotebookPanel-toolbar .jp-Ariel-submitCloud').click();
  const form = page.locator('#jp-ariel-cloud-form .jp-Ariel-cloudForm');
  const target = form.getByLabel('Target', { exact: true });
  await expect(target).toHaveValue('notebooks/train.ipynb');
  await expect(target).toHaveAccessibleDescription(/a notebook of the project/);
  // The form's Notebook button takes the open notebook too.
  await target.fill('');
  await form.getByRole('button', { name: 'Notebook', exact: true }).click();
  await expect(target).toHaveValue('notebooks/train.ipynb');
  await form.getByLabel('Experiment config', { exact: true }).fill('{"lr": [0.5, 0.25], "model": ["cnn"]}');
  await expect(form.locator('.jp-Ariel-jobCount')).toHaveText('2 jobs');
  await form.getByLabel('Google Cloud project', { exact: true }).fill('ui-project');
  await form.getByLabel('Name', { exact: true }).fill(GROUP);
  await form.getByLabel('Image repository', { exact: true }).fill(`${registry}/ariel-ui`);

  // A notebook needs an output folder: the field says so under it, whole, and Submit waits.
  const output = form.getByLabel('Output folder', { exact: true });
  await expect(output).toHaveAccessibleDescription(/executed notebook/);
  await expect(form.locator('.jp-Ariel-fieldHelp.jp-Ariel-warning')).toBeVisible();
  const submit = form.getByRole('button', { name: 'Submit 2 jobs' });
  await expect(submit).toBeDisabled();
  await output.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SCREENSHOTS, 'cloud-notebook-form.png') });
  await output.fill('gs://bucket/runs');
  await expect(form.locator('.jp-Ariel-fieldHelp.jp-Ariel-warning')).toHaveCount(0);
  await expect(output).toHaveAccessibleDescription(/executed notebook here \(FOLDER\/NAME\/INDEX\)\.$/);
  await submit.click();

  // Both jobs created, then run by the emulator to the end.
  const progress = form.locator('.jp-Ariel-submission');
  await expect(progress).toContainText(GROUP, { timeout: 30_000 });
  await expect(progress.locator('.jp-Ariel-job-created')).toHaveCount(2, { timeout: 600_000 });
  await expect(progress).toHaveAttribute('data-state', 'succeeded');
  await expect(sidebar.locator(`[data-group="${GROUP}"] .jp-Ariel-job-succeeded`)).toHaveCount(2, {
    timeout: 240_000
  });
  await expect(page.locator('.jp-Notification-Toast-success', { hasText: GROUP })).toBeVisible();

  // Each job's executed notebook in the output folder (OUTPUT/GROUP/INDEX), its values injected
  // in a cell after the `parameters` one, as typed values.
  for (const [index, lr] of [
    [1, '0.5'],
    [2, '0.25']
  ]) {
    const cells = executedCells(join(gcsRoot, 'bucket', 'runs', GROUP, String(index), 'train.ipynb'));
    expect(cells.map(cell => cell.tags)).toEqual([['parameters'], ['injected-parameters'], []]);
    expect(cells[1].source).toContain(`lr = ${lr}`);
    expect(cells[2].text).toBe(`RESULT ${lr} 'cnn'\n`);
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'cloud-notebook-jobs.png') });
});
