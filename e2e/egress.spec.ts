// Private addresses in the browser: a pasted token URL and a webhook URL on 127.0.0.1 are refused when saved, with a message naming Settings → Network, and nothing reaches them.
import { startTestOAuthProvider, type TestOAuthProvider } from '../test/oauth-provider';
import { expect, screenshot, test } from './fixtures';
import { signUpOwner } from './vault-owner';

let provider: TestOAuthProvider;

test.beforeAll(async () => {
  provider = await startTestOAuthProvider();
});

test.afterAll(async () => {
  await provider.close();
});

test('a pasted token URL on 127.0.0.1 is refused while private hosts are blocked; nothing is posted to it', async ({ page }) => {
  const { org } = await signUpOwner(page);
  const { accessToken, refreshToken } = provider.issueTokens();
  const before = provider.tokenRequests.length;

  await page.goto(`/orgs/${org.slug}/credentials/new/oauth?tab=paste&service=custom`);
  await page.getByLabel('Name', { exact: true }).fill('pasted_local');
  await page.getByLabel('Access token', { exact: true }).fill(accessToken);
  await page.getByLabel('Refresh token').fill(refreshToken);
  await page.getByLabel('Token URL').fill(provider.tokenUrl);
  await page.getByLabel('Client ID').fill(provider.clientId);
  await page.getByLabel('Client secret').fill(provider.clientSecret);
  await page.getByRole('button', { name: 'Save tokens' }).click();

  await expect(page.getByText(/127\.0\.0\.1 is a private address.*Settings → Network/)).toBeVisible();
  expect(provider.tokenRequests.length).toBe(before);
  const html = await page.content();
  for (const secret of [accessToken, refreshToken, provider.clientSecret]) expect(html).not.toContain(secret);
  await screenshot(page, 'paste-tokens-private-refused');
  await page.setViewportSize({ width: 375, height: 900 });
  await screenshot(page, 'paste-tokens-private-refused-mobile');
});

test('a webhook URL on 127.0.0.1 is refused while private hosts are blocked', async ({ page }) => {
  const { org } = await signUpOwner(page);

  await page.goto(`/orgs/${org.slug}/settings/notifications`);
  await page.getByLabel('Webhook URL').fill(`${provider.url}/hooks`);
  await page.getByRole('button', { name: 'Save notifications' }).click();

  await expect(page.getByText(/127\.0\.0\.1 is a private address.*Settings → Network/)).toBeVisible();
  await screenshot(page, 'webhook-private-refused');
  await page.setViewportSize({ width: 375, height: 900 });
  await screenshot(page, 'webhook-private-refused-mobile');
});
