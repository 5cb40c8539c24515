// What a person sees when input is refused: the login throttle's wait, an impossible audit date, a form sent as the wrong type, a broken link.
import { createUser, expect, expectNoSeriousA11yViolations, screenshot, test } from './fixtures';

async function bothWidths(page: import('@playwright/test').Page, name: string) {
  await screenshot(page, name);
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, `${name}-375`);
  await page.setViewportSize({ width: 1280, height: 720 });
}

test('after 5 wrong passwords from one address the login answers 429 and says how long to wait, even for the right password', async ({ page }) => {
  const { user } = await createUser();
  await page.goto('/login');
  for (let i = 0; i < 5; i++) {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(`Wrong-password-${i}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByText('Email or password is incorrect.')).toBeVisible();
  }
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/login')),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  expect(response.status()).toBe(429);
  expect(Number(response.headers()['retry-after'])).toBeGreaterThan(14 * 60);
  await expect(page.getByText('Too many attempts. Try again in 15 minutes.')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await bothWidths(page, 'login-throttled');

});

test('an impossible date in the audit filter answers 400 and says how to write it', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  // The filters show once the log has an event: rename the organization through its settings page.
  await page.goto(`/orgs/${org.slug}/settings`);
  await page.getByLabel('Organization name').fill(`${org.name} renamed`);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Organization renamed')).toBeVisible();
  const response = await page.goto(`/orgs/${org.slug}/audit?to=2026-13-45`);
  expect(response?.status()).toBe(400);
  await expect(page.getByText('Enter a date as YYYY-MM-DD')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await bothWidths(page, 'audit-bad-date');

  const csv = await page.request.get(`/orgs/${org.slug}/audit.csv?from=2026-99-01`);
  expect(csv.status()).toBe(400);
  expect(await csv.text()).toContain('From: Enter a date as YYYY-MM-DD.');
});

test('a form sent as text/plain is refused with 415 and a sentence saying how forms are sent; nothing is renamed', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  await page.goto(`/orgs/${org.slug}/settings`);
  // What a hand-made page (or a script) might send: the same fields, as text/plain.
  await Promise.all([
    page.waitForURL(`**/orgs/${org.slug}/settings`),
    page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.enctype = 'text/plain';
      form.action = window.location.pathname;
      const input = document.createElement('input');
      input.name = 'name';
      input.value = 'Renamed by text/plain';
      form.append(input);
      document.body.append(form);
      form.submit();
    }),
  ]);
  await expect(page.getByText('415')).toBeVisible();
  await expect(page.getByText(/not text\/plain/)).toBeVisible();
  await bothWidths(page, 'form-refused-415');
  await page.goto(`/orgs/${org.slug}/settings`);
  await expect(page.getByText('Renamed by text/plain')).toHaveCount(0);
});

test('a link with a broken %-escape answers a readable 400 page', async ({ page }) => {
  const response = await page.goto('/orgs/%ZZ/credentials');
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('heading', { name: 'This address is not valid' })).toBeVisible();
  await expect(page.getByText(/broken %-escape/)).toBeVisible();
  await bothWidths(page, 'address-not-valid');
});
