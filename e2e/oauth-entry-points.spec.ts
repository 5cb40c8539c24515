// Where OAuth starts in the UI: the add page's OAuth step (Connect with the provider, or paste tokens) and the settings
// page's links to OAuth apps and notifications; each checked for axe, for 375 px, and captured as screenshots.
import type { Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, screenshot, test } from './fixtures';

// Each test visits several pages at two widths with axe checks: more than the default 30 s on a busy machine.
test.describe.configure({ timeout: 90_000 });

async function expectNoHorizontalScroll(page: Page) {
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
}

test('the add page offers Connect with the provider and Paste tokens for an OAuth service', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  const base = `/orgs/${org.slug}/credentials/new`;
  await page.goto(base);
  await page.getByRole('link', { name: /OAuth/ }).click();
  await expect(page).toHaveURL(`${base}?type=oauth`);
  await expect(page.getByText('coming soon')).toHaveCount(0);
  const services = page.getByRole('list', { name: 'Services' });
  await expect(services.getByRole('link', { name: /GitHub/ })).toBeVisible();
  await screenshot(page, 'credential-new-oauth-services');

  await services.getByRole('link', { name: /GitHub/ }).click();
  const step = `${base}?type=oauth&service=github`;
  await expect(page).toHaveURL(step);
  await expect(page.getByRole('heading', { name: 'GitHub · OAuth' })).toBeVisible();
  // Two ways in, in the add page's own card: sign in at GitHub (the default), or paste tokens.
  const how = page.getByRole('navigation', { name: 'How to add it' });
  const signIn = how.getByRole('link', { name: /Sign in at GitHub/ });
  await expect(signIn).toHaveAttribute('aria-current', 'true');
  await expect(signIn).toContainText('Needs an OAuth app');
  await expect(how.getByRole('link', { name: /Paste tokens/ })).toHaveAttribute('href', `${step}&method=paste`);
  // No OAuth app is registered in a fresh organization: the page says where to set one up, with the redirect URI.
  const missing = page.getByTestId('oauth-app-missing');
  await expect(missing).toContainText('No OAuth app is set up for GitHub yet.');
  await expect(missing).toContainText('/oauth/callback');
  await expect(page.getByRole('link', { name: 'Register an OAuth app' })).toHaveAttribute('href', `/orgs/${org.slug}/settings/oauth`);
  await expect(page.getByRole('button', { name: /Connect/ })).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'credential-new-oauth-choice');
  await page.setViewportSize({ width: 375, height: 812 });
  await page.reload();
  await expectNoHorizontalScroll(page);
  await screenshot(page, 'credential-new-oauth-choice-mobile');
  await page.setViewportSize({ width: 1280, height: 720 });

  await page.getByRole('link', { name: 'Paste tokens instead' }).click();
  await expect(page).toHaveURL(`${step}&method=paste`);
  await expect(how.getByRole('link', { name: /Paste tokens/ })).toHaveAttribute('aria-current', 'true');
  const paste = page.getByRole('form', { name: 'Paste tokens' });
  await expect(paste.getByLabel('Access token', { exact: true })).toBeVisible();
  await expect(paste.getByLabel('Name', { exact: true })).toHaveValue(/github/);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'credential-new-oauth-paste');

  // The old addresses of the OAuth page land on the same step, keeping the choice of paste.
  await page.goto(`${base}/oauth?service=github`);
  await expect(page).toHaveURL(step);
  await page.goto(`${base}/oauth?service=github&tab=paste`);
  await expect(page).toHaveURL(`${step}&method=paste`);

  // An unknown service, or one without OAuth, is not a page.
  expect((await page.goto(`${base}?type=oauth&service=nope`))?.status()).toBe(404);
  expect((await page.goto(`${base}?type=oauth&service=stripe`))?.status()).toBe(404);
});

test('settings link to OAuth apps, notifications and network', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  await page.goto(`/orgs/${org.slug}/settings`);
  const more = page.getByRole('navigation', { name: 'More settings' });
  await expect(more.getByRole('link', { name: /OAuth apps/ })).toHaveAttribute('href', `/orgs/${org.slug}/settings/oauth`);
  await expect(more.getByRole('link', { name: /Notifications/ })).toHaveAttribute('href', `/orgs/${org.slug}/settings/notifications`);
  await expect(more.getByRole('link', { name: /Network/ })).toHaveAttribute('href', `/orgs/${org.slug}/settings/network`);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'settings');
  await page.setViewportSize({ width: 375, height: 812 });
  await page.reload();
  await expectNoHorizontalScroll(page);
  await screenshot(page, 'settings-mobile');
  await page.setViewportSize({ width: 1280, height: 720 });

  await more.getByRole('link', { name: /Notifications/ }).click();
  await expect(page).toHaveURL(`/orgs/${org.slug}/settings/notifications`);
  await expect(more.getByRole('link', { name: /Notifications/ })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  await screenshot(page, 'settings-notifications');

  await more.getByRole('link', { name: /OAuth apps/ }).click();
  await expect(page).toHaveURL(`/orgs/${org.slug}/settings/oauth`);
  await expect(page.getByRole('heading', { level: 1, name: 'OAuth apps' })).toBeVisible();

  // Network: the owner allows private hosts; the choice sticks and the audit log names it.
  await page.goto(`/orgs/${org.slug}/settings`);
  await more.getByRole('link', { name: /Network/ }).click();
  await expect(page).toHaveURL(`/orgs/${org.slug}/settings/network`);
  await expect(page.getByLabel(/Block private hosts/)).toBeChecked();
  await page.getByLabel(/Allow private hosts/).check();
  // Saved at phone width: the toast fits the screen instead of widening the page.
  await page.setViewportSize({ width: 375, height: 812 });
  await page.getByRole('button', { name: 'Save network setting' }).click();
  await expect(page.getByText('Private hosts allowed')).toBeVisible();
  await expectNoHorizontalScroll(page);
  await screenshot(page, 'settings-network-toast-mobile');
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.reload();
  await expect(page.getByLabel(/Allow private hosts/)).toBeChecked();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'settings-network');
  await page.goto(`/orgs/${org.slug}/audit`);
  await expect(page.getByRole('cell', { name: 'Changed network setting' })).toBeVisible();
});
