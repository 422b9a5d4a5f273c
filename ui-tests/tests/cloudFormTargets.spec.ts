import { expect, test } from '@jupyterlab/galata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * "Submit as cloud experiment" from the file browser's context menu: a script, a notebook or a
 * module folder of the project becomes the form's target, relative to the project; the form
 * keeps its values for the project when closed and opened again (JupyterLab's state database).
 */
const ROOT = process.env.ARIEL_UI_ROOT ?? '';
const PROJECT = 'targets-demo';

test("the file browser's context menu opens the cloud form on a script, a notebook and a module folder", async ({
  page,
  tmpPath
}) => {
  const folder = join(ROOT, tmpPath, PROJECT);
  mkdirSync(join(folder, 'trainer'), { recursive: true });
  writeFileSync(join(folder, '.ariel.json'), '{}\n');
  writeFileSync(join(folder, 'requirements.txt'), 'six\n');
  writeFileSync(join(folder, 'trainer', '__init__.py'), '');
  writeFileSync(join(folder, 'trainer', '__main__.py'), 'print("training")\n');
  writeFileSync(join(folder, 'train.py'), 'print("training")\n');
  writeFileSync(
    join(folder, 'explore.ipynb'),
    JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 })
  );
  await page.filebrowser.openDirectory(`${tmpPath}/${PROJECT}`);

  const form = page.locator('#jp-ariel-cloud-form .jp-Ariel-cloudForm');
  const target = form.getByLabel('Target', { exact: true });
  for (const [name, expected] of [
    ['train.py', 'train.py'],
    ['explore.ipynb', 'explore.ipynb'],
    ['trainer', 'trainer']
  ]) {
    await page.locator('.jp-DirListing-item', { hasText: name }).first().click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Submit as Cloud Experiment…' }).click();
    await expect(target).toHaveValue(expected);
  }
  // A module folder runs as python -m: the form shows that command.
  await expect(form).toContainText('python -m trainer');

  await form.getByLabel('Google Cloud project', { exact: true }).fill('kept-project');
  // Closed, its values go to the state database; a new form reads them from there.
  await page.locator('.lm-TabBar-tab', { hasText: 'Cloud Experiment' }).locator('.lm-TabBar-tabCloseIcon').click();
  await expect(form).toHaveCount(0);
  await page.locator('.jp-DirListing-item', { hasText: 'train.py' }).first().click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Submit as Cloud Experiment…' }).click();
  await expect(target).toHaveValue('train.py');
  await expect(form.getByLabel('Google Cloud project', { exact: true })).toHaveValue('kept-project');
});
