import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeProjectImages } from './cloudForm';

/**
 * A `%pip install` in a container kernel is caught and carried into the project: the Running
 * section marks the kernel with the package, "Add to the project" pins it in requirements.txt,
 * and a restart builds the new image, in which the package imports and the drift is gone. On the
 * real engine, with a package from the machine's local index (the one image builds use).
 */
const ROOT = process.env.ARIEL_UI_ROOT ?? '';
const PROJECT = 'drift-demo';
const PACKAGE = 'toolz';

/** A notebook on the CPU container kernel, one empty code cell. */
const NOTEBOOK = JSON.stringify({
  cells: [{ id: 'pip', cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: '' }],
  metadata: { kernelspec: { name: 'ariel-cpu', display_name: 'Python 3 (CPU container)', language: 'python' } },
  nbformat: 4,
  nbformat_minor: 5
});

test.afterAll(() => removeProjectImages(PROJECT));

test('a %pip install in a container kernel shows as drift, goes into requirements.txt, and is in the image after a restart', async ({
  page,
  tmpPath
}) => {
  // Two notebook image builds on a busy machine.
  test.setTimeout(1_200_000);
  const index = process.env.ARIEL_PIP_INDEX_URL;
  expect(index, 'ARIEL_PIP_INDEX_URL: the local pip index scripts/lib/pip-index.sh serves').toBeTruthy();
  // A project of its own in the test's folder, which Galata removes afterwards.
  const folder = join(ROOT, tmpPath, PROJECT);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, '.ariel.json'), '{}\n');
  writeFileSync(join(folder, 'requirements.txt'), 'six\n');
  writeFileSync(join(folder, 'drift.ipynb'), NOTEBOOK);
  // The notebook's kernel container (the warm pool's spare beside it is nobody's kernel yet).
  const kernelImage = () =>
    execFileSync(
      'docker',
      [
        'ps',
        '--filter',
        'label=org.ariel.role=kernel',
        '--filter',
        `label=org.ariel.project=${folder}`,
        '--format',
        '{{.Names}} {{.Image}}'
      ],
      { encoding: 'utf8' }
    )
      .split('\n')
      .filter(line => line && !line.startsWith('ariel-spare-'))
      .map(line => line.split(' ')[1])
      .join('\n');

  await page.filebrowser.open(`${tmpPath}/${PROJECT}/drift.ipynb`);
  // The first start builds the project's notebook image.
  await expect(page.getByText('Python 3 (CPU container) | Idle')).toBeVisible({ timeout: 540_000 });
  const firstImage = kernelImage();
  expect(firstImage).toMatch(/^ariel\/drift-demo:notebook-cpu-/);

  await page.notebook.setCell(0, 'code', `%pip install --index-url ${index} ${PACKAGE}`);
  await page.notebook.runCell(0);
  const installed = (await page.notebook.getCellTextOutput(0))?.join('') ?? '';
  const version = new RegExp(`Successfully installed ${PACKAGE}-(\\S+)`).exec(installed)?.[1];
  expect(version, installed).toBeTruthy();

  await page.sidebar.openTab('jp-ariel-sidebar');
  await page.sidebar.setWidth(560);
  const sidebar = page.locator('#jp-ariel-sidebar');
  await expect(sidebar.locator('.jp-Ariel-project')).toContainText(PROJECT);
  const section = (title: string) => sidebar.locator('.jp-AccordionPanel-title', { hasText: title });
  for (const title of ['Builds', 'Dockerfile', 'Images', 'Submit as cloud experiment', 'Jobs']) {
    if ((await section(title).count()) > 0 && (await section(title).getAttribute('aria-expanded')) === 'true') {
      await section(title).click();
    }
  }
  if ((await section('Running').getAttribute('aria-expanded')) !== 'true') {
    await section('Running').click();
  }
  const drift = sidebar.locator('.jp-Ariel-drift', { hasText: PACKAGE });
  await expect(drift).toContainText(`1 package installed here is not in the project: ${PACKAGE} ${version}`);
  await expect(sidebar.locator('.jp-Ariel-drifted', { hasText: PROJECT })).toContainText('kernel');

  await drift.getByRole('button', { name: 'Add to the project' }).click();
  await expect(drift).toContainText(`Added 1 line to requirements.txt: ${PACKAGE}==${version}.`);
  expect(readFileSync(join(folder, 'requirements.txt'), 'utf8')).toBe(`six\n${PACKAGE}==${version}\n`);

  // The image is outdated now: the restart builds the one with the package.
  await page.menu.clickMenuItem('Kernel>Restart Kernel…');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect
    .poll(kernelImage, { timeout: 540_000, intervals: [2_000] })
    .not.toMatch(new RegExp(`^(${firstImage})?$`));
  // No wait for "Idle" here: when the new kernel answers before Jupyter Server's channels to it
  // are up, JupyterLab shows "Restarting" until the next message (its own FIXME in
  // KernelConnection); running the cell below is that message, as it is for a user.

  // The cell below the pip one (running a cell adds it), in view under the notebook's toolbar.
  await page.notebook.setCell(1, 'code', `import ${PACKAGE}\nprint('${PACKAGE}', ${PACKAGE}.__version__)`);
  await page.notebook.runCell(1);
  expect((await page.notebook.getCellTextOutput(1))?.join('')).toContain(`${PACKAGE} ${version}`);
  // The new kernel's image holds what it runs: nothing drifted.
  await expect(sidebar.locator('.jp-Ariel-drift', { hasText: PACKAGE })).toHaveCount(0, { timeout: 60_000 });
  await expect(sidebar.locator('.jp-Ariel-drifted', { hasText: PROJECT })).toHaveCount(0);

  await page.menu.clickMenuItem('Kernel>Shut Down Kernel');
  await expect.poll(kernelImage, { timeout: 60_000 }).toBe('');
});
