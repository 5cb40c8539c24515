// Settings → API tokens end to end: an owner creates a token, sees it once, uses it against the API, and revokes it; a viewer only reads the list.
import { addMembership, createUser, db, expect, expectNoSeriousA11yViolations, screenshot, signIn, test } from './fixtures';

test('an owner creates an API token, sees it once, uses it, and revokes it', async ({ page, loginAs, request }) => {
  const { org } = await loginAs({ name: 'Olive Owner' });
  const settings = `/orgs/${org.slug}/settings/tokens`;
  let token = '';

  await test.step('the settings navigation leads to API tokens', async () => {
    await page.goto(`/orgs/${org.slug}/settings`);
    await page.getByRole('link', { name: /API tokens/ }).click();
    await expect(page).toHaveURL(settings);
    await expect(page.getByText('No tokens yet.')).toBeVisible();
  });

  await test.step('a field error from the schema, then the token shown once', async () => {
    await page.getByLabel('Name', { exact: true }).fill('CI deploys');
    await page.getByLabel('Role').selectOption('admin');
    await page.getByLabel('Expires').selectOption('custom');
    await page.getByLabel('Days until it expires').fill('999');
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(page.getByText('At most 366 days')).toBeVisible();
    await page.getByLabel('Days until it expires').fill('30');
    await page.getByLabel('Can reveal values').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const once = page.getByRole('status').filter({ hasText: 'Token “CI deploys” created' });
    await expect(once).toBeVisible();
    await expect(once).toContainText('stores only a hash and cannot show it again');
    token = (await once.locator('code').textContent())!.trim();
    expect(token).toMatch(/^lkm_[A-Za-z0-9_-]{43}$/);
    const row = page.getByTestId('api-token').filter({ hasText: 'CI deploys' });
    await expect(row).toContainText(token.slice(0, 12));
    await expect(row).toContainText('Admin');
    await expect(row).toContainText(/Reveals values\s*yes/);
    await expect(row).toContainText('Created by Olive Owner');
    await expect(row).toContainText(/in 29 days|in 30 days/);
    await expect(row).toContainText('Never used');
    await expect(row.getByTestId('api-token-status')).toHaveText('Active');
    // The form is empty again: no second token by accident.
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'api-tokens-created');
  });

  await test.step('the token works against the API', async () => {
    const response = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status(), await response.text()).toBe(200);
    expect(await response.json()).toMatchObject({
      kind: 'management',
      organization: { slug: org.slug },
      token: { name: 'CI deploys', prefix: token.slice(0, 12), role: 'admin', reveal: true },
    });
  });

  await test.step('after a reload the value is gone; the list shows its prefix and last use', async () => {
    await page.reload();
    await expect(page.getByText(token)).toHaveCount(0);
    expect(await page.content()).not.toContain(token.slice(12));
    const row = page.getByTestId('api-token').filter({ hasText: 'CI deploys' });
    await expect(row).toContainText(`${token.slice(0, 12)}…`);
    await expect(row.getByTestId('last-used')).toHaveText(/^Used just now/);
    await screenshot(page, 'api-tokens');
    await page.setViewportSize({ width: 375, height: 812 });
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await screenshot(page, 'api-tokens-375');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  await test.step('revoking asks first, then the token is refused and listed as revoked', async () => {
    await page.getByRole('button', { name: 'Revoke CI deploys' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Revoke “CI deploys”?');
    await expect(dialog).toContainText(token.slice(0, 12));
    await screenshot(page, 'api-tokens-revoke-dialog');
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await expect(page.getByText('Token revoked')).toBeVisible();
    const row = page.getByTestId('api-token').filter({ hasText: 'CI deploys' });
    await expect(row.getByTestId('api-token-status')).toHaveText('Revoked');
    await expect(row.getByRole('button', { name: /Revoke/ })).toHaveCount(0);
    const { rows } = await db().query('SELECT "revokedAt" FROM "ManagementToken" WHERE "organizationId" = $1', [org.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].revokedAt).not.toBeNull();
    const refused = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
    expect(refused.status()).toBe(401);
    await screenshot(page, 'api-tokens-revoked');
  });
});

test('a viewer sees the tokens without secrets and no way to create or revoke them', async ({ page, context }) => {
  const { org, user: owner } = await createUser({ name: 'Olive Owner' });
  await db().query(
    `INSERT INTO "ManagementToken" (id, "organizationId", "userId", name, role, "tokenHash", prefix) VALUES (gen_random_uuid(), $1, $2, 'Terraform', 'admin', md5(random()::text), 'lkm_abcd1234')`,
    [org!.id, owner.id],
  );
  const { user: viewer } = await createUser({ org: false });
  await addMembership(viewer.id, org!.id, 'viewer');
  await signIn(context, viewer);
  await page.goto(`/orgs/${org!.slug}/settings/tokens`);
  const row = page.getByTestId('api-token').filter({ hasText: 'Terraform' });
  await expect(row).toContainText('lkm_abcd1234…');
  await expect(row).toContainText(/Reveals values\s*no/);
  await expect(row.getByRole('button', { name: /Revoke/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Create token' })).toHaveCount(0);
  await expect(page.getByText('Only owners and admins create and revoke API tokens.')).toBeVisible();
  await screenshot(page, 'api-tokens-viewer');
});
