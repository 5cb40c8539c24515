// Tenant isolation in the browser: another organization's pages answer 404, exactly like pages that do not exist.
import { createUser, expect, test } from './fixtures';

test('a member of one organization gets the 404 page for another organization’s URLs', async ({ page, loginAs }) => {
  const { org: own } = await loginAs({ org: { role: 'member' } });
  const { org: other } = await createUser();
  if (!other) throw new Error('expected an organization');

  await page.goto(`/orgs/${own.slug}/credentials`);
  await expect(page.getByText('No credentials yet')).toBeVisible();

  for (const section of ['credentials', 'members', 'agents', 'audit', 'settings']) {
    const response = await page.goto(`/orgs/${other.slug}/${section}`);
    expect(response?.status(), `/orgs/${other.slug}/${section}`).toBe(404);
    await expect(page.getByText(/not found/i).first()).toBeVisible();
    await expect(page.getByText(other.name)).toHaveCount(0);
  }

  const missing = await page.goto(`/orgs/no-such-org-${other.slug}/credentials`);
  expect(missing?.status()).toBe(404);
});
