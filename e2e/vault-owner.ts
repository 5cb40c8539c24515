// An owner signed up through the real form: the whole sign-up path, for specs that test it end to end.
import crypto from 'node:crypto';
import type { Page } from '@playwright/test';
import { expect, uniqueEmail, type TestOrg } from './fixtures';

/** Signs a new owner up through the real form (the organization gets its data key there, as fixtures' do). */
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

