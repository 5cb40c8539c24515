// An owner signed up through the real form, so their organization has its encryption key (fixture rows have none).
import crypto from 'node:crypto';
import type { Page } from '@playwright/test';
import { expect, uniqueEmail, type TestOrg } from './fixtures';

/**
 * Signs a new owner up through the real form: unlike the database fixtures, this gives the organization
 * its encryption key, which storing a credential needs.
 */
export async function signUpOwner(page: Page): Promise<{ user: { email: string; password: string }; org: Pick<TestOrg, 'slug'> }> {
  const user = { email: uniqueEmail('owner'), password: `correct horse ${crypto.randomBytes(3).toString('hex')} battery` };
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill('Ada Owner');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByLabel('Organization name').fill(`Vault ${crypto.randomBytes(3).toString('hex')}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/orgs\/[^/]+\/credentials$/);
  const slug = new URL(page.url()).pathname.split('/')[2]!;
  return { user, org: { slug } };
}

