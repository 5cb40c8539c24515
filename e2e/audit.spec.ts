// Audit log end to end: changes made through the UI are listed, a filter narrows the list, and the CSV downloads.
import { expect, expectNoSeriousA11yViolations, screenshot, test } from './fixtures';
import { signUpOwner } from './vault-owner';

test('the audit page lists credential events, filters them and exports CSV', async ({ page }) => {
  test.setTimeout(60_000);
  const { org } = await signUpOwner(page);
  const base = `/orgs/${org.slug}`;

  await test.step("a new organization's log starts with its creation", async () => {
    await page.goto(`${base}/audit`);
    const rows = page.getByRole('table').getByRole('row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(1)).toContainText('Created organization');
    await expect(rows.nth(1)).toContainText('Ada Owner');
    await screenshot(page, 'audit-new-organization');
  });

  await test.step('adds, edits and deletes credentials through the UI', async () => {
    await page.goto(`${base}/credentials/new?type=api_key&service=openai`);
    await page.getByLabel('Name', { exact: true }).fill('openai_key');
    await page.locator('input[name="fields.key"]').fill(`sk-proj-${'a'.repeat(40)}`);
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page).toHaveURL(/\/credentials\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('heading', { name: 'openai_key' })).toBeVisible();
    const detail = new URL(page.url()).pathname;
    await page.goto(`${detail}/edit`);
    await page.getByLabel('Description').fill('Used by the support bot');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page).toHaveURL(new RegExp(`${detail}$`));

    await page.goto(`${base}/credentials/new?type=password&service=custom`);
    await page.getByLabel('Name', { exact: true }).fill('old_login');
    await page.getByLabel('Username').fill('robot');
    await page.getByLabel('Password', { exact: true }).fill('a-long-password');
    await page.getByLabel('Base URL').fill('https://legacy.example.com');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByRole('heading', { name: 'old_login' })).toBeVisible();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByLabel('Type old_login to confirm').fill('old_login');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete credential' }).click();
    await expect(page).toHaveURL(new RegExp(`${base}/credentials$`));
  });

  await test.step('lists the events, newest first, linking credentials that still exist', async () => {
    await page.goto(`${base}/audit`);
    const rows = page.getByRole('table').getByRole('row');
    // The header, the four credential events, and the organization's creation at sign-up.
    await expect(rows).toHaveCount(6);
    await expect(rows.last()).toContainText('Created organization');
    await expect(rows.nth(1)).toContainText('Deleted credential');
    await expect(rows.nth(1)).toContainText('old_login (deleted)');
    // The request origin comes from the socket, not from a header the browser could set.
    await expect(rows.nth(1)).toContainText('127.0.0.1');
    await expect(page.getByRole('table').getByRole('link', { name: 'openai_key' }).first()).toBeVisible();
    await expect(page.getByRole('table').getByText('Edited credential')).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'audit');
  });

  await test.step('a filter narrows the list and lives in the URL', async () => {
    await page.getByLabel('Action').selectOption('credential.update');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/action=credential\.update/);
    await expect(page.getByRole('table').getByRole('row')).toHaveCount(2);
    await page.getByRole('link', { name: 'Clear' }).click();
    await expect(page).toHaveURL(new RegExp(`${base}/audit$`));
    await page.getByLabel('Credential').fill('old_login');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByRole('table').getByRole('row')).toHaveCount(3);
    await screenshot(page, 'audit-filtered');
  });

  await test.step('exports the filtered events as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^audit-.+\.csv$/);
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    const lines = Buffer.concat(chunks).toString().trim().split('\n');
    expect(lines[0]).toContain('seq,createdAt,actorType');
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).toContain('credential.delete');
    expect(lines.join('\n')).not.toContain('openai_key');
  });

  await test.step('is readable at 375 px', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${base}/audit`);
    await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
    await screenshot(page, 'audit-mobile');
  });
});
