import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import Docker from 'dockerode';

/**
 * What the cloud specs share: the sidebar with room for "Submit as cloud experiment", and the
 * removal of a test project's images.
 */

/** Shows Ariel's sidebar on `project` with the other sections folded; resolves with the sidebar and the form. */
export async function openCloudForm(
  page: IJupyterLabPageFixture,
  project: string,
  width?: number
): Promise<{ sidebar: Locator; form: Locator; section: (title: string | RegExp) => Locator }> {
  await page.sidebar.openTab('jp-ariel-sidebar');
  await page.sidebar.setWidth(width);
  const sidebar = page.locator('#jp-ariel-sidebar');
  await expect(sidebar.locator('.jp-Ariel-project')).toContainText(project);
  const section = (title: string | RegExp) => sidebar.locator('.jp-AccordionPanel-title', { hasText: title });
  for (const title of ['Project', 'Builds', 'Dockerfile', 'Images', 'Running']) {
    if ((await section(title).getAttribute('aria-expanded')) === 'true') {
      await section(title).click();
    }
  }
  const form = sidebar.locator('.jp-Ariel-cloudForm');
  if (!(await form.isVisible())) {
    await section('Submit as cloud experiment').click();
  }
  return { sidebar, form, section };
}

/** Removes the local images of a test project (the registry's copies go with cloud-services.mjs). */
export async function removeProjectImages(project: string): Promise<void> {
  const docker = new Docker();
  for (const image of await docker.listImages({ filters: { reference: [`ariel/${project}`] } })) {
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}
