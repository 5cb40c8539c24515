// OAuth in the browser: register an app, Connect through the local provider's consent page, Reconnect, Disconnect.
import type { Page } from '@playwright/test';
import { startTestOAuthProvider, type TestOAuthProvider } from '../test/oauth-provider';
import { expect, test, uniqueEmail, uniqueSuffix } from './fixtures';

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

/** The detail page's buttons are wired by the lead; until then the POST routes are driven with a plain form. */
async function postForm(page: Page, action: string) {
  await page.evaluate((to) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = to;
    document.body.append(form);
    form.submit();
  }, action);
}

test('Connect through the provider, Reconnect, Disconnect', async ({ page, baseURL }) => {
  const slug = await signUp(page);

  await page.goto(`/orgs/${slug}/settings/oauth`);
  await expect(page.getByTestId('redirect-uri')).toHaveText(`${baseURL}/oauth/callback`);
  await page.getByLabel('Provider').selectOption('custom');
  await page.getByLabel('Name', { exact: true }).fill('Local provider');
  await page.getByLabel('Client ID').fill(provider.clientId);
  await page.getByLabel('Client secret').fill(CLIENT_SECRET);
  await page.getByLabel('Authorization URL').fill(provider.authorizationUrl);
  await page.getByLabel('Token URL').fill(provider.tokenUrl);
  await page.getByLabel('Revocation URL').fill(provider.revocationUrl);
  await page.getByLabel('Userinfo URL').fill(provider.userinfoUrl);
  await page.getByLabel('Default scopes').fill('read write');
  await page.getByRole('button', { name: 'Register app' }).click();
  await expect(page.getByText('Custom · Local provider')).toBeVisible();
  await expect(page.getByText('secret sealed')).toBeVisible();
  expect(await page.content()).not.toContain(CLIENT_SECRET);

  await page.goto(`/orgs/${slug}/credentials/new/oauth`);
  await page.getByLabel('Service').selectOption('custom');
  await page.getByLabel('Name', { exact: true }).fill('local_bot');
  await page.getByLabel('Scopes').fill('read write');
  await page.getByRole('button', { name: 'Connect' }).click();

  // The provider's own sign-in page.
  await expect(page.getByRole('heading', { name: 'Test provider' })).toBeVisible();
  await expect(page.getByText('ada@provider.test')).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();

  await page.waitForURL(new RegExp(`/orgs/${slug}/credentials/[0-9a-f-]{36}$`));
  const detail = new URL(page.url()).pathname;
  await expect(page.getByRole('heading', { name: 'local_bot' })).toBeVisible();
  await expect(page.getByText('Active').first()).toBeVisible();
  await expect(page.getByText('ada@provider.test').first()).toBeVisible();
  await expect(page.getByText('read', { exact: true }).first()).toBeVisible();
  await expect(page.getByText('write', { exact: true }).first()).toBeVisible();
  const html = await page.content();
  for (const secret of [CLIENT_SECRET, ...provider.issuedAccessTokens, ...provider.issuedRefreshTokens]) expect(html).not.toContain(secret);

  // Reconnect as someone else: same credential, a warning about the account.
  provider.account = 'grace@provider.test';
  await postForm(page, `${detail}/connect`);
  await expect(page.getByText('grace@provider.test').first()).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((url) => url.pathname === detail);
  await expect(page.getByText('Reconnected with a different account')).toBeVisible();
  await expect(page.getByText('grace@provider.test').first()).toBeVisible();

  // Disconnect: revoked at the provider, status disconnected.
  const refreshToken = provider.issuedRefreshTokens.at(-1);
  await postForm(page, `${detail}/disconnect`);
  await page.waitForURL((url) => url.pathname === detail);
  await expect(page.getByText('Disconnected').first()).toBeVisible();
  expect(provider.revokedTokens).toContain(refreshToken);
});

test('a denied consent comes back with a message and creates nothing', async ({ page }) => {
  const slug = await signUp(page);
  await page.goto(`/orgs/${slug}/settings/oauth`);
  await page.getByLabel('Provider').selectOption('custom');
  await page.getByLabel('Client ID').fill(provider.clientId);
  await page.getByLabel('Client secret').fill(CLIENT_SECRET);
  await page.getByLabel('Authorization URL').fill(provider.authorizationUrl);
  await page.getByLabel('Token URL').fill(provider.tokenUrl);
  await page.getByRole('button', { name: 'Register app' }).click();
  await expect(page.getByText('secret sealed')).toBeVisible();

  await page.goto(`/orgs/${slug}/credentials/new/oauth`);
  await page.getByLabel('Service').selectOption('custom');
  await page.getByLabel('Name', { exact: true }).fill('denied_bot');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForURL(new RegExp(`/orgs/${slug}/credentials/new/oauth`));
  await expect(page.getByText(/access was denied/)).toBeVisible();
  await page.goto(`/orgs/${slug}/credentials`);
  await expect(page.getByText('denied_bot')).toHaveCount(0);
});
