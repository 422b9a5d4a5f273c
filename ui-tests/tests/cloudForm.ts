import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import Docker from 'dockerode';

/**
 * What the cloud specs share: "Submit as cloud experiment" opened from the sidebar's Jobs
 * section in its main-area tab, and the removal of a test project's images.
 */

/** Opens the cloud form from Ariel's sidebar on `project`; resolves with the sidebar, the form and a section finder. */
export async function openCloudForm(
  page: IJupyterLabPageFixture,
  project: string
): Promise<{ sidebar: Locator; form: Locator; section: (title: string | RegExp) => Locator }> {
  await page.sidebar.openTab('jp-ariel-sidebar');
  const sidebar = page.locator('#jp-ariel-sidebar');
  await expect(sidebar.locator('.jp-Ariel-project')).toContainText(project);
  const section = (title: string | RegExp) => sidebar.locator('.jp-AccordionPanel-title', { hasText: title });
  await sidebar.getByRole('button', { name: 'Submit', exact: true }).click();
  const form = page.locator('#jp-ariel-cloud-form .jp-Ariel-cloudForm');
  await expect(form).toBeVisible();
  await expect(page.locator('#jp-ariel-cloud-form .jp-Ariel-pageTitle')).toContainText(project);
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
