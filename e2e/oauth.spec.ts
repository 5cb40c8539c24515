// OAuth in the browser: register an app, Connect through the local provider's consent page, then Reconnect, Disconnect
// and Delete with the detail page's own buttons; the local provider records every revocation.
import type { Page } from '@playwright/test';
import { startTestOAuthProvider, type TestOAuthProvider } from '../test/oauth-provider';
import { expect, expectNoSeriousA11yViolations, insertAgent, orgIdBySlug, screenshot, test, uniqueEmail, uniqueSuffix } from './fixtures';

let provider: TestOAuthProvider;
const CLIENT_SECRET = `e2e-canary-secret-${uniqueSuffix()}`;

test.beforeAll(async () => {
  provider = await startTestOAuthProvider({ clientSecret: CLIENT_SECRET });
});

test.afterAll(async () => {
  await provider.close();
});

/** Signs up through the page, so the organization gets its data key like any real one. */
async function signUp(page: Page): Promise<string> {
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill('Ada Owner');
  await page.getByLabel('Email').fill(uniqueEmail('oauth'));
  await page.getByLabel('Password').fill(`correct horse ${uniqueSuffix()} battery`);
  await page.getByLabel('Organization name').fill(`OAuth ${uniqueSuffix()}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/orgs\/[^/]+/);
  return new URL(page.url()).pathname.split('/')[2]!;
}

/** The local provider listens on 127.0.0.1, a private address: the owner allows private hosts (Settings → Network). */
async function allowPrivateHosts(page: Page, slug: string) {
  await page.goto(`/orgs/${slug}/settings/network`);
  await page.getByLabel(/Allow private hosts/).check();
  await page.getByRole('button', { name: 'Save network setting' }).click();
  await expect(page.getByText('Private hosts allowed')).toBeVisible();
}

async function fillLocalProvider(page: Page) {
  await page.getByLabel('Provider').selectOption('custom');
  await page.getByLabel('Name', { exact: true }).fill('Local provider');
  await page.getByLabel('Client ID').fill(provider.clientId);
  await page.getByLabel('Client secret').fill(CLIENT_SECRET);
  await page.getByLabel('Authorization URL').fill(provider.authorizationUrl);
  await page.getByLabel('Token URL').fill(provider.tokenUrl);
  await page.getByLabel('Revocation URL').fill(provider.revocationUrl);
  await page.getByLabel('Userinfo URL').fill(provider.userinfoUrl);
  await page.getByLabel('Default scopes').fill('read write');
}

/**
 * Registers the local provider as the organization's custom OAuth app (Settings → OAuth apps). With private hosts
 * blocked (the default) the app is refused with a message naming the Network setting, and nothing reaches the provider.
 */
async function registerLocalProvider(page: Page, slug: string, baseURL: string | undefined) {
  await page.goto(`/orgs/${slug}/settings`);
  await page.getByRole('link', { name: /OAuth apps/ }).click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/settings/oauth$`));
  await expect(page.getByTestId('redirect-uri')).toHaveText(`${baseURL}/oauth/callback`);
  const requestsBefore = provider.tokenRequests.length;
  await fillLocalProvider(page);
  await page.getByRole('button', { name: 'Register app' }).click();
  await expect(page.getByText(/private address.*Settings → Network/).first()).toBeVisible();
  await expect(page.getByText('Custom · Local provider')).toHaveCount(0);
  expect(await page.content()).not.toContain(CLIENT_SECRET);
  expect(provider.tokenRequests.length).toBe(requestsBefore);
  await screenshot(page, 'oauth-app-private-refused');
  await page.setViewportSize({ width: 375, height: 900 });
  await screenshot(page, 'oauth-app-private-refused-mobile');
  await page.setViewportSize({ width: 1280, height: 900 });

  await allowPrivateHosts(page, slug);
  await page.goto(`/orgs/${slug}/settings/oauth`);
  await fillLocalProvider(page);
  await page.getByRole('button', { name: 'Register app' }).click();
  await expect(page.getByText('Custom · Local provider')).toBeVisible();
  await expect(page.getByText('secret sealed')).toBeVisible();
  // The form starts over after a registration: no second app by accident, no secret left in a field.
  await expect(page.getByLabel('Client ID')).toHaveValue('');
  await expect(page.getByLabel('Client secret')).toHaveValue('');
  await expect(page.getByLabel('Token URL')).toHaveValue('');
  expect(await page.content()).not.toContain(CLIENT_SECRET);
  await screenshot(page, 'oauth-app-registered');
}

/** Every token the provider handed out stays out of the page. */
async function expectNoTokensIn(page: Page) {
  const html = await page.content();
  for (const secret of [CLIENT_SECRET, ...provider.issuedAccessTokens, ...provider.issuedRefreshTokens]) expect(html).not.toContain(secret);
}

test('Connect from the add page, then Reconnect, Disconnect and Delete through the detail page', async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  const slug = await signUp(page);
  await registerLocalProvider(page, slug, baseURL);
  const agentId = await insertAgent(await orgIdBySlug(slug), 'release_agent', ['local_*'], { lastUsedAt: new Date(Date.now() - 5 * 60_000) });

  await test.step('the add page leads into the OAuth flow', async () => {
    await page.goto(`/orgs/${slug}/credentials/new`);
    await page.getByRole('link', { name: /OAuth/ }).click();
    await page.getByRole('link', { name: /Custom/ }).click();
    await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/credentials/new\\?type=oauth&service=custom$`));
    // One app is registered: signing in there is the default and recommended way, paste is the other.
    const how = page.getByRole('navigation', { name: 'How to add it' });
    await expect(how.getByRole('link', { name: /Sign in at Local provider/ })).toHaveAttribute('aria-current', 'true');
    await expect(how.getByRole('link', { name: /Sign in at Local provider/ })).toContainText('Recommended');
    await expect(how.getByRole('link', { name: /Paste tokens/ })).toHaveAttribute('href', `/orgs/${slug}/credentials/new?type=oauth&service=custom&method=paste`);
    await expect(page.getByRole('form', { name: 'Connect' })).toContainText(`You come back to ${baseURL}/oauth/callback`);
    await screenshot(page, 'oauth-add-connect');
  });

  let detail = '';
  await test.step('Connect: the provider signs in and the detail page shows Active, the account and the scopes', async () => {
    await page.getByLabel('Name', { exact: true }).fill('local_bot');
    await page.getByLabel('Scopes').fill('read write');
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect(page.getByRole('heading', { name: 'Test provider' })).toBeVisible();
    await expect(page.getByText('ada@provider.test')).toBeVisible();
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL(new RegExp(`/orgs/${slug}/credentials/[0-9a-f-]{36}$`));
    detail = new URL(page.url()).pathname;
    await expect(page.getByRole('heading', { level: 1, name: 'local_bot' })).toBeVisible();
    await expect(page.locator('header [data-status]')).toHaveAttribute('data-status', 'active');
    await expect(page.locator('dl').first()).toContainText('ada@provider.test');
    await expect(page.getByRole('list', { name: 'Scopes' }).getByRole('listitem')).toHaveText(['read', 'write']);
    await expect(page.getByRole('list', { name: 'Activity, newest first' })).toContainText('Connected as ada@provider.test');
    const agents = page.getByRole('list', { name: 'Agents with access' });
    await expect(agents.getByRole('link', { name: /release_agent/ })).toHaveAttribute('href', `/orgs/${slug}/agents/${agentId}`);
    await expectNoTokensIn(page);
  });

  await test.step('Reconnect as someone else: same credential, a warning about the account', async () => {
    provider.account = 'grace@provider.test';
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await expect(page.getByText('grace@provider.test').first()).toBeVisible();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.pathname === detail);
    await expect(page.getByText('Reconnected with a different account')).toBeVisible();
    await expect(page.locator('dl').first()).toContainText('grace@provider.test');
    await expect(page.getByRole('list', { name: 'Activity, newest first' })).toContainText('Reconnected as grace@provider.test');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-detail-oauth-connected');
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await screenshot(page, 'credential-detail-oauth-connected-mobile');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  await test.step('Disconnect asks first, names the agents that lose access, then revokes at the provider', async () => {
    const refreshToken = provider.issuedRefreshTokens.at(-1);
    await page.getByRole('button', { name: 'Disconnect' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Disconnect this credential?');
    await expect(dialog.getByTestId('agent-impact')).toHaveText('1 agent will lose access: release_agent.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    expect(provider.revokedTokens).not.toContain(refreshToken);

    await page.getByRole('button', { name: 'Disconnect' }).click();
    await dialog.getByRole('button', { name: 'Disconnect' }).click();
    await expect(page.getByText('The tokens were revoked at the provider and deleted.')).toBeVisible();
    await expect(page.locator('header [data-status]')).toHaveAttribute('data-status', 'disconnected');
    expect(provider.revokedTokens).toContain(refreshToken);
    await expect(page.getByRole('button', { name: 'Disconnect' })).toHaveCount(0);
    await expect(page.getByRole('list', { name: 'Activity, newest first' })).toContainText('Disconnected');
  });

  await test.step('Connect again from the detail page', async () => {
    provider.account = 'ada@provider.test';
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.pathname === detail);
    await expect(page.locator('header [data-status]')).toHaveAttribute('data-status', 'active');
    await expect(page.getByRole('button', { name: 'Reconnect' })).toBeVisible();
    await expectNoTokensIn(page);
  });

  await test.step('Delete revokes at the provider first', async () => {
    const refreshToken = provider.issuedRefreshTokens.at(-1);
    expect(provider.revokedTokens).not.toContain(refreshToken);
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Its tokens are revoked at Local provider first.');
    await expect(dialog.getByTestId('agent-impact')).toHaveText('1 agent will lose access: release_agent.');
    await dialog.getByLabel('Type local_bot to confirm').fill('local_bot');
    await dialog.getByRole('button', { name: 'Delete credential' }).click();
    await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/credentials$`));
    await expect(page.getByText('Deleted local_bot')).toBeVisible();
    await expect(page.getByText('Its tokens were revoked at the provider first.')).toBeVisible();
    expect(provider.revokedTokens).toContain(refreshToken);
  });

  await test.step('the audit log keeps the revocation', async () => {
    await page.goto(`/orgs/${slug}/audit`);
    const actions = page.locator('table tbody td:nth-child(3)');
    await expect(actions.first()).toBeVisible();
    const labels = (await actions.allTextContents()).map((t) => t.toLowerCase());
    const deleted = labels.findIndex((l) => l.includes('delete'));
    expect(deleted).toBeGreaterThanOrEqual(0);
    // Newest first: the revocation came before the delete.
    expect(labels.findIndex((l) => l.includes('revoke'))).toBeGreaterThan(deleted);
  });
});

test('a mistyped name deletes nothing and revokes nothing', async ({ page, baseURL }) => {
  const slug = await signUp(page);
  await registerLocalProvider(page, slug, baseURL);
  await page.goto(`/orgs/${slug}/credentials/new/oauth?service=custom`);
  await page.getByLabel('Name', { exact: true }).fill('kept_bot');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(new RegExp(`/orgs/${slug}/credentials/[0-9a-f-]{36}$`));
  const detail = new URL(page.url()).pathname;
  const revokedBefore = provider.revokedTokens.length;

  // The confirmation page (what browsers without JavaScript get) checks the name before anything reaches the provider.
  await page.goto(`${detail}/delete`);
  await expect(page.getByRole('heading', { level: 1, name: 'Delete “kept_bot”?' })).toBeVisible();
  await expect(page.getByText('Its tokens are revoked at Local provider first.')).toBeVisible();
  await page.getByLabel('Type kept_bot to confirm').fill('kept_bo');
  await page.getByRole('button', { name: 'Delete credential' }).click();
  await expect(page.getByRole('alert')).toContainText('The name you typed does not match the credential');
  expect(provider.revokedTokens.length).toBe(revokedBefore);
  await page.goto(detail);
  await expect(page.locator('header [data-status]')).toHaveAttribute('data-status', 'active');
});

test('a denied consent comes back with a message and creates nothing', async ({ page }) => {
  const slug = await signUp(page);
  await allowPrivateHosts(page, slug);
  await page.goto(`/orgs/${slug}/settings/oauth`);
  await page.getByLabel('Provider').selectOption('custom');
  await page.getByLabel('Client ID').fill(provider.clientId);
  await page.getByLabel('Client secret').fill(CLIENT_SECRET);
  await page.getByLabel('Authorization URL').fill(provider.authorizationUrl);
  await page.getByLabel('Token URL').fill(provider.tokenUrl);
  await page.getByRole('button', { name: 'Register app' }).click();
  await expect(page.getByText('secret sealed')).toBeVisible();

  await page.goto(`/orgs/${slug}/credentials/new?type=oauth&service=custom`);
  await page.getByLabel('Name', { exact: true }).fill('denied_bot');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForURL(new RegExp(`/orgs/${slug}/credentials/new\\?type=oauth&service=custom`));
  await expect(page.getByText(/access was denied/)).toBeVisible();
  await page.goto(`/orgs/${slug}/credentials`);
  await expect(page.getByText('denied_bot')).toHaveCount(0);
});
