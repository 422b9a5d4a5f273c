import { expect, test } from '@jupyterlab/galata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCloudForm, removeProjectImages } from './cloudForm';

/**
 * "Submit as cloud experiment" in a real JupyterLab: the companion server builds the cloud image
 * on the real engine, pushes it to a real registry on loopback and creates the jobs through the
 * Vertex AI client in the JobService emulator (ui-tests/cloud-services.mjs), which runs them.
 */
const SCREENSHOTS = process.env.ARIEL_UI_SCREENSHOTS ?? join(__dirname, '..', 'test-results', 'screenshots');
const ROOT = process.env.ARIEL_UI_ROOT ?? '';
const SERVICES = join(process.env.ARIEL_UI_KERNELS ?? '', 'cloud-services.json');
const PROJECT = 'cloud-demo';

const TRAIN = `import sys
print("training with", " ".join(sys.argv[1:]))
`;

test.afterAll(() => removeProjectImages(PROJECT));

test('an experiment submitted from its form tab runs as cloud jobs that finish in the sidebar', async ({
  page,
  tmpPath
}) => {
  // Image builds and two jobs' containers on a busy machine.
  test.setTimeout(900_000);
  const { registry } = JSON.parse(readFileSync(SERVICES, 'utf8')) as { registry: string };
  // A project of its own in the test's folder, which Galata removes afterwards.
  const folder = join(ROOT, tmpPath, PROJECT);
  mkdirSync(join(folder, 'trainer'), { recursive: true });
  writeFileSync(join(folder, '.ariel.json'), '{}\n');
  writeFileSync(join(folder, 'requirements.txt'), 'six\n');
  writeFileSync(join(folder, 'trainer', '__init__.py'), '');
  writeFileSync(join(folder, 'trainer', 'train.py'), TRAIN);

  await page.filebrowser.openDirectory(`${tmpPath}/${PROJECT}`);
  const { sidebar, form } = await openCloudForm(page, PROJECT);

  await form.getByLabel('Target', { exact: true }).fill('trainer.train');
  await expect(form).toContainText('python -m trainer.train');
  // The job count and each job's args follow the config as it is typed; a broken config says why.
  const config = form.getByLabel('Experiment config', { exact: true });
  await config.fill('{"lr": [0.1, 0.01');
  await expect(form.locator('.jp-Ariel-error')).toContainText('experiment config');
  await config.fill('{"lr": [0.1, 0.01], "epochs": 2}');
  await expect(form.locator('.jp-Ariel-jobCount')).toHaveText('2 jobs');
  await expect(form.locator('.jp-Ariel-expansion')).toContainText('--lr 0.01 --epochs 2');

  // Only valid combinations: a g2 machine comes with its L4 and offers no "None".
  await form.getByLabel('Machine', { exact: true }).selectOption('g2-standard-4');
  await expect(form.getByLabel('GPU', { exact: true })).toHaveValue('NVIDIA_L4');
  await expect(form.getByLabel('GPU', { exact: true }).locator('option')).toHaveText(['NVIDIA_L4']);
  await form.getByLabel('Machine', { exact: true }).selectOption('n1-standard-4');
  await form.getByLabel('GPU', { exact: true }).selectOption('');

  await form.getByLabel('Google Cloud project', { exact: true }).fill('ui-project');
  await form.getByLabel('Labels', { exact: true }).fill('team=vision');
  await form.getByLabel('Name', { exact: true }).fill('ui-sweep');
  await form.getByLabel('Image repository', { exact: true }).fill(`${registry}/ariel-ui`);
  await page.screenshot({ path: join(SCREENSHOTS, 'cloud-form.png') });
  await form.getByRole('button', { name: 'Submit 2 jobs' }).click();
  // The submit check builds the cloud image first; with no notebook image to compare, it says what it holds.
  await expect(form.locator('.jp-Ariel-checkOk')).toContainText('packages', { timeout: 600_000 });

  // Per-job progress, then the jobs list with their states to the end and a notification.
  const progress = form.locator('.jp-Ariel-submission');
  await expect(progress).toContainText('ui-sweep', { timeout: 30_000 });
  await expect(progress.locator('.jp-Ariel-job-created')).toHaveCount(2, { timeout: 600_000 });
  await expect(progress).toHaveAttribute('data-state', 'succeeded');
  const group = sidebar.locator('.jp-Ariel-group[data-group="ui-sweep"]');
  await expect(group.locator('.jp-Ariel-job-succeeded')).toHaveCount(2, { timeout: 240_000 });
  await expect(group.locator('.jp-Ariel-cloudJob').first().locator('a')).toHaveAttribute(
    'href',
    /^https:\/\/console\.cloud\.google\.com\/vertex-ai\/locations\/us-central1\/training\//
  );
  await expect(page.locator('.jp-Notification-Toast-success', { hasText: 'ui-sweep' })).toBeVisible();
  await progress.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SCREENSHOTS, 'cloud-jobs.png') });
});
