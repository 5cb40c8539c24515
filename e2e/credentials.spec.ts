// Credential forms end to end: add one of each type, see them listed, reveal after re-entering the password, replace a file, delete one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { chromium, type Page } from '@playwright/test';
import { createUser, db, expect, expectNoSeriousA11yViolations, screenshot, signIn, test } from './fixtures';
import { signUpOwner } from './vault-owner';

const API_KEY = `ghp_${crypto.randomBytes(16).toString('hex')}`;

function serviceAccountJson(): Buffer {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return Buffer.from(
    JSON.stringify(
      {
        type: 'service_account',
        project_id: 'latchkey-e2e',
        private_key_id: crypto.randomBytes(8).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: 'agent-runner@latchkey-e2e.iam.gserviceaccount.com',
        client_id: '1234567890',
      },
      null,
      2,
    ),
  );
}

test('an owner adds each type of credential, reveals an API key, replaces a file and deletes one', async ({ page }) => {
  test.setTimeout(90_000);
  const { user, org } = await signUpOwner(page);
  const base = `/orgs/${org.slug}/credentials`;

  await test.step('picks a type and a service', async () => {
    await page.goto(`${base}/new`);
    await expect(page.getByRole('heading', { name: 'Add credential' })).toBeVisible();
    await screenshot(page, 'credential-new-type');
    await page.getByRole('link', { name: /API key/ }).click();
    await expect(page.getByRole('heading', { name: 'Choose a service' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-new-service');
    await page.getByRole('searchbox', { name: 'Search services' }).fill('git');
    await expect(page.getByRole('link', { name: /Slack/ })).toHaveCount(0);
    await page.getByRole('link', { name: /GitHub/ }).click();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('github_token');
  });

  await test.step('a wrong key shows field errors and the key is not sent back', async () => {
    await page.getByLabel('Name', { exact: true }).fill('bad name!');
    await page.getByLabel('Personal access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByText('Use letters, digits')).toBeVisible();
    await expect(page.getByText('GitHub tokens start with ghp_ or github_pat_')).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-new-errors');
  });

  let apiKeyUrl = '';
  await test.step('adds an API key', async () => {
    await page.getByLabel('Name', { exact: true }).fill('github_token');
    await page.getByLabel('Personal access token').fill(API_KEY);
    await page.getByRole('button', { name: 'Show value' }).click();
    await expect(page.getByLabel('Personal access token')).toHaveAttribute('type', 'text');
    await screenshot(page, 'credential-new-api-key');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page).toHaveURL(new RegExp(`${base}/[0-9a-f-]{36}$`));
    await expect(page.getByText('Added github_token')).toBeVisible();
    expect(await page.content()).not.toContain(API_KEY);
    apiKeyUrl = new URL(page.url()).pathname;
  });

  await test.step('adds a username and password', async () => {
    await page.goto(`${base}/new?type=password&service=custom`);
    await page.getByLabel('Name', { exact: true }).fill('staging_login');
    await page.getByLabel('Username').fill('robot');
    await page.getByLabel('Password', { exact: true }).fill('s3cret-pa55word');
    // Custom has no catalog base URL: the form asks for one, or agents could not use the login.
    await page.getByLabel('Base URL').fill('https://staging.example.com/api');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'credential-new-password-mobile');
    await page.setViewportSize({ width: 1280, height: 720 });
    await screenshot(page, 'credential-new-password');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByText('Added staging_login')).toBeVisible();
  });

  await test.step('adds a Google Cloud service account; its client_email is shown', async () => {
    await page.goto(`${base}/new?type=file&service=gcp`);
    await expect(page.getByText('Upload the JSON key of a Google Cloud service account')).toBeVisible();
    await page.getByLabel('Service account key (JSON)').setInputFiles({ name: 'sa.json', mimeType: 'application/json', buffer: serviceAccountJson() });
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-new-gcp');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByText('Added gcp_service_account')).toBeVisible();
    await expect(page.getByText('agent-runner@latchkey-e2e.iam.gserviceaccount.com').first()).toBeVisible();
  });

  let fileUrl = '';
  await test.step('adds an opaque file', async () => {
    await page.goto(`${base}/new?type=file&service=custom`);
    await page.getByLabel('Name', { exact: true }).fill('deploy_cert');
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'deploy.txt', mimeType: 'text/plain', buffer: Buffer.from('first version') });
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByText('Added deploy_cert')).toBeVisible();
    fileUrl = new URL(page.url()).pathname;
  });

  await test.step('a file over 1 MiB is refused with a clear message', async () => {
    await page.goto(`${base}/new?type=file&service=custom`);
    await page.getByLabel('Name', { exact: true }).fill('too_big');
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1024 * 1024 + 100, 7) });
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByText('The file is larger than 1 MiB')).toBeVisible();
    await screenshot(page, 'credential-new-too-large');
  });

  await test.step('sees every credential in the list', async () => {
    await page.goto(base);
    for (const name of ['github_token', 'staging_login', 'gcp_service_account', 'deploy_cert']) {
      await expect(page.getByRole('link', { name, exact: true }).first()).toBeVisible();
    }
    await expect(page.getByText('too_big')).toHaveCount(0);
  });

  await test.step('reveals the API key after re-entering the password', async () => {
    await page.goto(apiKeyUrl);
    await page.getByRole('link', { name: 'Reveal' }).click();
    await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
    await page.getByLabel('Password').fill('wrong password entirely');
    await page.getByRole('button', { name: 'Confirm password' }).click();
    await expect(page.getByText('That password is incorrect.')).toBeVisible();
    await screenshot(page, 'credential-reveal-password');
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Confirm password' }).click();
    await expect(page.getByRole('button', { name: 'Reveal value' })).toBeVisible();
    expect(await page.content()).not.toContain(API_KEY);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/reveal')),
      page.getByRole('button', { name: 'Reveal value' }).click(),
    ]);
    expect(response.headers()['cache-control']).toContain('no-store');
    await expect(page.getByText(API_KEY)).toBeVisible();
    await expect(page.getByText('Shown once.')).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-reveal-value');
  });

  await test.step('uploads a new file to the same credential', async () => {
    await page.goto(fileUrl);
    await page.getByRole('link', { name: 'Upload new file' }).click();
    await expect(page.getByRole('heading', { name: 'Upload a new file' })).toBeVisible();
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'deploy-v2.txt', mimeType: 'text/plain', buffer: Buffer.from('second version') });
    await screenshot(page, 'credential-replace-file');
    await page.getByRole('button', { name: 'Upload file' }).click();
    await expect(page).toHaveURL(new RegExp(`${fileUrl}$`));
    await expect(page.getByText('Uploaded a new file to deploy_cert')).toBeVisible();
  });

  await test.step('downloads the new file', async () => {
    await page.goto(`${fileUrl}/reveal`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download file' }).click()]);
    expect(download.suggestedFilename()).toBe('deploy-v2.txt');
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('second version');
  });

  await test.step('the activity names each event in words', async () => {
    await page.goto(fileUrl);
    const activity = page.getByRole('list', { name: 'Activity, newest first' });
    await expect(activity.getByRole('listitem').locator('p.font-medium')).toHaveText(['Downloaded the file', 'Uploaded a new file', 'Created']);
    await page.goto(apiKeyUrl);
    await expect(activity.getByRole('listitem').locator('p.font-medium')).toHaveText(['Revealed the value', 'Created']);
  });

  await test.step('edits the description', async () => {
    await page.goto(`${fileUrl}/edit`);
    await page.getByLabel('Description').fill('Deploy certificate for staging');
    await screenshot(page, 'credential-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Saved deploy_cert')).toBeVisible();
  });

  await test.step('deletes the password credential after typing its name', async () => {
    await page.goto(base);
    await page.getByRole('link', { name: 'staging_login', exact: true }).first().click();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByText('Delete “staging_login”?')).toBeVisible();
    await dialog.getByLabel('Type staging_login to confirm').fill('staging_login');
    await dialog.getByRole('button', { name: 'Delete credential' }).click();
    await expect(page).toHaveURL(new RegExp(`${base}$`));
    await expect(page.getByText('Deleted staging_login')).toBeVisible();
    await expect(page.getByRole('link', { name: 'staging_login', exact: true })).toHaveCount(0);
  });
});

test('without JavaScript the forms still work and an oversized upload gets the server’s 413 message', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    const { org } = await signUpOwner(page);
    const base = `/orgs/${org.slug}/credentials`;
    await page.goto(`${base}/new?type=api_key&service=custom`);
    await page.getByLabel('Name', { exact: true }).fill('bad name!');
    await page.getByLabel('Secret').fill('typed-secret-value');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByText('Use letters, digits')).toBeVisible();
    await expect(page.getByLabel('Secret')).toHaveValue('');
    expect(await page.content()).not.toContain('typed-secret-value');

    await page.goto(`${base}/new?type=file&service=custom`);
    await page.getByLabel('Name', { exact: true }).fill('too_big');
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1024 * 1024 + 100, 7) });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Add credential' }).click(),
    ]);
    expect(response.status()).toBe(413);
    await expect(page.getByText('The file is larger than 1 MiB')).toBeVisible();
    await screenshot(page, 'credential-new-too-large-nojs');

    // Delete without JavaScript: the Delete button opens the confirmation page, which checks the typed name.
    await page.goto(`${base}/new?type=api_key&service=custom`);
    await page.getByLabel('Name', { exact: true }).fill('nojs_key');
    await page.getByLabel('Secret').fill('nojs-secret-value');
    await page.getByLabel('Base URL').fill('https://internal.example.com');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page).toHaveURL(new RegExp(`${base}/[0-9a-f-]{36}$`));
    const detail = new URL(page.url()).pathname;
    await page.getByRole('button', { name: 'Delete' }).click();
    await expect(page).toHaveURL(new RegExp(`${detail}/delete`));
    await expect(page.getByRole('heading', { level: 1, name: 'Delete “nojs_key”?' })).toBeVisible();
    await expect(page.getByTestId('agent-impact')).toContainText('No agents will lose access');
    await screenshot(page, 'credential-delete-page-nojs');
    await page.getByLabel('Type nojs_key to confirm').fill('nojs_ke');
    await page.getByRole('button', { name: 'Delete credential' }).click();
    await expect(page.getByRole('alert')).toContainText('The name you typed does not match the credential. Type nojs_key to confirm.');
    await page.getByLabel('Type nojs_key to confirm').fill('nojs_key');
    await page.getByRole('button', { name: 'Delete credential' }).click();
    await expect(page).toHaveURL(new RegExp(`${base}$`));
    // Toasts need JavaScript (sonner); the list itself shows the credential is gone.
    await expect(page.getByRole('heading', { name: 'No credentials yet' })).toBeVisible();
    expect((await page.goto(detail))?.status()).toBe(404);
  } finally {
    await context.close();
  }
});

test('an organization made by the test fixtures has its data key and stores a credential', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  const { rows } = await db().query('SELECT version FROM "OrganizationDataKey" WHERE "organizationId" = $1', [org.id]);
  expect(rows).toEqual([{ version: 1 }]);
  await page.goto(`/orgs/${org.slug}/credentials/new?type=api_key&service=custom`);
  await page.getByLabel('Name', { exact: true }).fill('fixture_key');
  await page.getByLabel('Secret').fill(`fixture-${crypto.randomBytes(8).toString('hex')}`);
  await page.getByLabel('Base URL').fill('https://api.example.com');
  await page.getByRole('button', { name: 'Add credential' }).click();
  await expect(page.getByText('Added fixture_key')).toBeVisible();
});

test('viewers see metadata only: the add form answers 403', async ({ page, loginAs }) => {
  const { org } = await loginAs({ org: { role: 'viewer' } });
  const response = await page.goto(`/orgs/${org.slug}/credentials/new`);
  expect(response?.status()).toBe(403);
});

/** Full-page screenshots at 1280 and 375 px wide. */
async function bothWidths(page: Page, name: string) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, name);
  await page.setViewportSize({ width: 375, height: 800 });
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll, `${name} fits 375 px`).toBeLessThanOrEqual(widths.client);
  await screenshot(page, `${name}-mobile`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('a Custom API key gets a base URL and a header; moving its host shows on the detail page', async ({ page, loginAs }) => {
  test.setTimeout(90_000);
  const { org } = await loginAs();
  const base = `/orgs/${org.slug}/credentials`;
  await page.goto(`${base}/new?type=api_key&service=custom`);
  await page.getByLabel('Name', { exact: true }).fill('billing_api');
  await page.getByLabel('Secret').fill(`billing-${crypto.randomBytes(8).toString('hex')}`);
  await page.getByLabel('Base URL').fill('ftp://billing.example.com');
  await page.getByLabel('Base URL').blur();
  await expect(page.getByText('Use an http:// or https:// URL')).toBeVisible();
  await page.getByLabel('Base URL').fill('https://billing.example.com/v1');
  await expect(page.getByLabel('Header name')).toHaveValue('Authorization');
  await page.getByLabel('Header name').fill('X-Billing-Key');
  await page.getByLabel('Scheme').fill('');
  await page.getByText('Advanced').click();
  await page.getByLabel('Upstream timeout').fill('900');
  await expectNoSeriousA11yViolations(page);
  await bothWidths(page, 'credential-new-custom-api-key');
  // The other choice hides the header inputs and asks for the parameter instead.
  await page.getByRole('radio', { name: /Query parameter/ }).check();
  await expect(page.getByLabel('Header name')).toBeHidden();
  await expect(page.getByLabel('Parameter name')).toBeVisible();
  await page.getByRole('radio', { name: /Header/ }).check();
  await page.getByRole('button', { name: 'Add credential' }).click();
  await expect(page.getByText('Added billing_api')).toBeVisible();

  const card = page.getByRole('region', { name: 'Connection' });
  await expect(card.getByTestId('connection-base-url')).toContainText('https://billing.example.com/v1');
  await expect(card.getByTestId('connection-base-url')).toContainText('Custom');
  await expect(card).toContainText('X-Billing-Key: <key>');
  await expect(card).toContainText('900 seconds');
  const detail = new URL(page.url()).pathname;

  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByLabel('Base URL')).toHaveValue('https://billing.example.com/v1');
  await expect(page.getByLabel('Header name')).toHaveValue('X-Billing-Key');
  await page.getByLabel('Base URL').fill('https://eu.billing.example.com/v1');
  await bothWidths(page, 'credential-edit-custom-api-key');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(new RegExp(`${detail}$`));
  await expect(card.getByTestId('connection-host-change')).toContainText('billing.example.com');
  await expect(card.getByTestId('connection-host-change')).toContainText('eu.billing.example.com');
  await expect(page.getByRole('list', { name: 'Activity, newest first' })).toContainText('Base URL host changed to eu.billing.example.com');
  await expectNoSeriousA11yViolations(page);
  await page.reload(); // without the toast
  await bothWidths(page, 'credential-detail-custom-api-key');

  await page.getByRole('link', { name: 'Replace value' }).click();
  await page.getByLabel('Secret').fill('billing-new-value');
  await bothWidths(page, 'credential-replace-api-key');
  await page.getByRole('button', { name: 'Replace value' }).click();
  await expect(page.getByText('Replaced the value of billing_api')).toBeVisible();
});

test('SMTP shows its host, port and username on the detail page', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  await page.goto(`/orgs/${org.slug}/credentials/new?type=password&service=smtp`);
  await expect(page.getByLabel('Base URL')).toHaveCount(0);
  await page.getByLabel('Host').fill('smtp.example.com');
  await page.getByLabel('Port').fill('587');
  await page.getByLabel('Username').fill('mailer@example.com');
  await page.getByLabel('Password', { exact: true }).fill('smtp-password-123');
  await page.getByRole('button', { name: 'Add credential' }).click();
  await expect(page.getByText('Added smtp_password')).toBeVisible();
  const card = page.getByRole('region', { name: 'Connection' });
  await expect(card.getByTestId('connection-field-host')).toHaveText('smtp.example.com');
  await expect(card.getByTestId('connection-field-port')).toHaveText('587');
  await expect(card.getByTestId('connection-field-username')).toHaveText('mailer@example.com');
  await page.reload(); // without the toast
  await bothWidths(page, 'credential-detail-smtp');
  await page.getByRole('link', { name: 'Replace value' }).click();
  // The non-secret fields come back filled in; the password never does.
  await expect(page.getByLabel('Host')).toHaveValue('smtp.example.com');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await bothWidths(page, 'credential-replace-smtp');
});

test.describe('in Los Angeles', () => {
  test.use({ timezoneId: 'America/Los_Angeles' });

  test('a date picked for the expiry is the end of that day there, shown with its time', async ({ page, loginAs }) => {
    const { org } = await loginAs();
    await page.goto(`/orgs/${org.slug}/credentials/new?type=api_key&service=github`);
    await page.getByLabel('Personal access token').fill(`ghp_${crypto.randomBytes(16).toString('hex')}`);
    await page.getByLabel('Expiry date').fill('2030-12-03');
    await expect(page.getByTestId('expiry-exact')).toHaveText('Dec 3, 2030, 11:59 PM PST');
    await expect(page.getByText('in your time zone (America/Los_Angeles)')).toBeVisible();
    await bothWidths(page, 'credential-new-expiry-la');
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(page.getByText('Added github_token')).toBeVisible();
    await expect(page.getByText('Dec 3, 2030, 11:59 PM PST')).toBeVisible();
    const { rows } = await db().query<{ expiresAt: Date }>('SELECT "expiresAt" FROM "Credential" WHERE "organizationId" = $1', [org.id]);
    expect(rows[0]!.expiresAt.toISOString()).toBe('2030-12-04T07:59:59.999Z');

    // The edit form shows the same day (the server renders UTC, the browser turns it back into its own day).
    await page.getByRole('link', { name: 'Edit' }).click();
    await expect(page.getByLabel('Expiry date')).toHaveValue('2030-12-03');
    await expect(page.getByLabel('Time (optional)')).toHaveValue('');
    await page.getByLabel('Description').fill('CI token');
    await bothWidths(page, 'credential-edit-expiry-la');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Saved github_token')).toBeVisible();
    const after = await db().query<{ expiresAt: Date }>('SELECT "expiresAt" FROM "Credential" WHERE "organizationId" = $1', [org.id]);
    expect(after.rows[0]!.expiresAt.toISOString()).toBe('2030-12-04T07:59:59.999Z');
  });
});

test('editing an OAuth credential has no expiry field and saves a description alone', async ({ page, loginAs }) => {
  const { user, org } = await loginAs();
  const id = crypto.randomUUID();
  const expiresAt = new Date(Date.now() + 50 * 60_000);
  await db().query(
    `INSERT INTO "Credential" (id, "organizationId", name, service, type, "oauthProvider", "oauthAccount", "expiresAt", "nextRefreshAt", "createdById", "updatedAt")
     VALUES ($1, $2, 'github_oauth', 'github', 'oauth', 'github', 'octocat', $3, $4, $5, now())`,
    [id, org.id, expiresAt, new Date(expiresAt.getTime() - 5 * 60_000), user.id],
  );
  await page.goto(`/orgs/${org.slug}/credentials/${id}/edit`);
  await expect(page.getByLabel('Description')).toBeVisible();
  await expect(page.getByLabel('Expiry date')).toHaveCount(0);
  await expect(page.getByLabel('Base URL')).toHaveValue('https://api.github.com');
  await page.getByLabel('Description').fill('Release bot');
  await bothWidths(page, 'credential-edit-oauth');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Saved github_oauth')).toBeVisible();
  const { rows } = await db().query<{ expiresAt: Date; description: string }>('SELECT "expiresAt", description FROM "Credential" WHERE id = $1', [id]);
  expect(rows[0]).toEqual({ expiresAt, description: 'Release bot' });
});

test('underscores in names read exactly where Linux falls back to DejaVu Sans Mono', async ({ baseURL }, testInfo) => {
  // A Chromium that sees only the DejaVu fonts, as on a minimal Debian: monospace falls back to DejaVu Sans
  // Mono, whose underscore Chromium clips inside a 14px input (github_token read "github token").
  const dir = testInfo.outputPath('fontconfig');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    `${dir}/fonts.conf`,
    `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd"><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><include ignore_missing="yes">/etc/fonts/conf.d</include><cachedir>${dir}/cache</cachedir></fontconfig>`,
  );
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    env: { ...process.env, FONTCONFIG_FILE: `${dir}/fonts.conf` },
  });
  try {
    const context = await browser.newContext({ baseURL, deviceScaleFactor: 1, viewport: { width: 1280, height: 900 } });
    const { user, org } = await createUser();
    await signIn(context, user);
    const page = await context.newPage();
    await page.goto(`/orgs/${org!.slug}/credentials/new?type=api_key&service=github`);
    const name = page.getByLabel('Name', { exact: true });
    await expect(name).toHaveValue('github_token');
    await page.evaluate(() => document.fonts.ready);
    const crop = async (value: string) => {
      await name.fill(value);
      return name.screenshot({ animations: 'disabled', caret: 'hide' });
    };
    // The control: with the old stack the two really render alike here, so this browser reproduces the bug.
    await name.evaluate((el) => (el.style.fontFamily = 'ui-monospace, SFMono-Regular, Menlo, Monaco, Consolas, "Liberation Mono", "Courier New", monospace'));
    expect((await crop('a_b')).equals(await crop('a b'))).toBe(true);
    await name.evaluate((el) => (el.style.fontFamily = ''));
    expect((await crop('a_b')).equals(await crop('a b'))).toBe(false);
    expect(await name.evaluate((el) => getComputedStyle(el).fontFamily)).toMatch(/^"JetBrains Mono Variable"/);
    await name.fill('github_token');
    await screenshot(page, 'credential-new-name-dejavu-only');

    // Table cells use the same stack.
    await db().query(
      `INSERT INTO "Credential" (id, "organizationId", name, service, type, "updatedAt") VALUES ($1, $2, 'deploy_token', 'github', 'api_key', now())`,
      [crypto.randomUUID(), org!.id],
    );
    await page.goto(`/orgs/${org!.slug}/credentials`);
    const link = page.getByRole('link', { name: 'deploy_token', exact: true }).first();
    await expect(link).toBeVisible();
    await page.evaluate(() => document.fonts.ready);
    // A handle, not a locator: the text is about to change under it.
    const cell = (await link.elementHandle())!;
    const cellCrop = async (text: string) => {
      await cell.evaluate((el, value) => (el.textContent = value), text);
      return cell.screenshot({ animations: 'disabled' });
    };
    expect((await cellCrop('a_b')).equals(await cellCrop('a b'))).toBe(false);
  } finally {
    await browser.close();
  }
});
