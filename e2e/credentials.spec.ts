// Credential forms end to end: add one of each type, see them listed, reveal after re-entering the password, replace a file, delete one.
import crypto from 'node:crypto';
import { db, expect, expectNoSeriousA11yViolations, screenshot, test } from './fixtures';
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
  await page.getByRole('button', { name: 'Add credential' }).click();
  await expect(page.getByText('Added fixture_key')).toBeVisible();
});

test('viewers see metadata only: the add form answers 403', async ({ page, loginAs }) => {
  const { org } = await loginAs({ org: { role: 'viewer' } });
  const response = await page.goto(`/orgs/${org.slug}/credentials/new`);
  expect(response?.status()).toBe(403);
});
