// The portal at phone width: no sideways scrolling, and the navigation menu still opens.
import { expect, screenshot, test } from './fixtures';

test.use({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });

test('at 375 px the credentials page has no horizontal scroll and the menu opens', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  await page.goto(`/orgs/${org.slug}/credentials`);
  await expect(page.getByText('No credentials yet')).toBeVisible();

  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  await screenshot(page, 'mobile-credentials');

  await page.getByRole('button', { name: 'Open menu' }).click();
  const menu = page.getByRole('dialog');
  await expect(menu).toBeVisible();
  await expect(menu.getByRole('link', { name: 'Members' })).toBeVisible();
  await screenshot(page, 'mobile-menu');
});
