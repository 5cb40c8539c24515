// The credentials table and detail view in a browser: search, filters, sort, URL state, empty states, details per type.
import { insertCredentials, sampleCredentials } from './credential-fixtures';
import { db, expect, expectNoSeriousA11yViolations, insertAgent, screenshot, test } from './fixtures';
import type { Page } from '@playwright/test';

function rowNames(page: Page) {
  return page.locator('tbody tr[data-credential-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-credential-row')));
}

async function seeded(loginAs: Parameters<Parameters<typeof test>[2]>[0]['loginAs']) {
  const { user, org } = await loginAs({ name: 'Ada Lovelace' });
  const ids = await insertCredentials(org, user, sampleCredentials());
  return { user, org, ids };
}

test('typing in the search narrows the rows and keeps the term in the URL', async ({ page, loginAs }) => {
  const { org } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  await expect(page.locator('tbody tr')).toHaveCount(7);
  await page.getByRole('searchbox', { name: 'Search by name or service' }).pressSequentially('STRI', { delay: 30 });
  await expect.poll(() => rowNames(page)).toEqual(['stripe_live_key', 'stripe_test_key']);
  await expect(page).toHaveURL(/\?q=STRI$/);
  // Service names match too: "slack" is the service of slack_alerts.
  await page.getByRole('searchbox').fill('slack');
  await expect.poll(() => rowNames(page)).toEqual(['slack_alerts']);
});

test('type and status chips filter the rows and show counts', async ({ page, loginAs }) => {
  const { org } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  const types = page.getByRole('group', { name: 'Filter by type' });
  const statuses = page.getByRole('group', { name: 'Filter by status' });
  await expect(types.getByRole('link', { name: /API key\s*3/ })).toBeVisible();
  await types.getByRole('link', { name: /API key/ }).click();
  await expect.poll(() => rowNames(page)).toEqual(['openai_research', 'stripe_live_key', 'stripe_test_key']);
  await expect(page).toHaveURL(/type=api_key/);
  await statuses.getByRole('link', { name: /Expired/ }).click();
  await expect.poll(() => rowNames(page)).toEqual(['stripe_test_key']);
  await expect(page).toHaveURL(/type=api_key&status=expired/);
  await expect(page.getByRole('row', { name: /stripe_test_key/ })).toContainText('Expired');
});

test('the summary strip links filter to what needs attention', async ({ page, loginAs }) => {
  const { org } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  const summary = page.getByRole('navigation', { name: 'Summary' });
  await summary.getByRole('link', { name: '1 needs attention' }).click();
  await expect.poll(() => rowNames(page)).toEqual(['openai_research']);
  await summary.getByRole('link', { name: '1 expired' }).click();
  await expect.poll(() => rowNames(page)).toEqual(['stripe_test_key']);
});

test('column headers sort on the server, and the sort survives reload and back', async ({ page, loginAs }) => {
  const { org } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  const byName = ['gcp_billing_exporter', 'github_deploy_bot', 'openai_research', 'slack_alerts', 'smtp_relay', 'stripe_live_key', 'stripe_test_key'];
  await expect.poll(() => rowNames(page)).toEqual(byName);
  await page.getByRole('columnheader', { name: /Name/ }).getByRole('link').click();
  await expect(page).toHaveURL(/sort=-name/);
  await expect.poll(() => rowNames(page)).toEqual([...byName].reverse());
  await expect(page.getByRole('columnheader', { name: /Name/ })).toHaveAttribute('aria-sort', 'descending');

  await page.getByRole('columnheader', { name: /Last used/ }).getByRole('link').click();
  await expect(page).toHaveURL(/sort=-lastUsed/);
  // Newest use first; never-used rows last.
  await expect.poll(async () => (await rowNames(page)).slice(0, 3)).toEqual(['github_deploy_bot', 'stripe_live_key', 'openai_research']);

  await page.reload();
  await expect.poll(async () => (await rowNames(page)).slice(0, 3)).toEqual(['github_deploy_bot', 'stripe_live_key', 'openai_research']);
  await page.goBack();
  await expect(page).toHaveURL(/sort=-name/);
  await expect.poll(() => rowNames(page)).toEqual([...byName].reverse());
});

test('search, filters and page size survive reload and back', async ({ page, loginAs }) => {
  const { org } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials?type=api_key&size=25`);
  await expect.poll(() => rowNames(page)).toHaveLength(3);
  await page.getByRole('searchbox').fill('openai');
  await page.getByRole('searchbox').press('Enter');
  await expect(page).toHaveURL(/q=openai/);
  await expect.poll(() => rowNames(page)).toEqual(['openai_research']);
  await page.reload();
  await expect(page.getByRole('searchbox')).toHaveValue('openai');
  await expect.poll(() => rowNames(page)).toEqual(['openai_research']);
  await expect(page.getByRole('link', { name: '25 rows per page' })).toHaveAttribute('aria-current', 'true');
  await page.getByRole('link', { name: 'Clear filters' }).first().click();
  await expect.poll(() => rowNames(page)).toHaveLength(7);
  await page.goBack();
  await expect(page.getByRole('searchbox')).toHaveValue('openai');
  await expect.poll(() => rowNames(page)).toEqual(['openai_research']);
});

test('the first page renders and filters without JavaScript', async ({ browser, loginAs, page }) => {
  const { org } = await seeded(loginAs);
  const context = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const noJs = await context.newPage();
  await noJs.goto(`/orgs/${org.slug}/credentials`);
  await expect(noJs.locator('tbody tr')).toHaveCount(7);
  await noJs.getByRole('searchbox').fill('smtp');
  await noJs.getByRole('searchbox').press('Enter');
  await expect(noJs).toHaveURL(/q=smtp/);
  await expect(noJs.locator('tbody tr')).toHaveCount(1);
  await noJs.getByRole('link', { name: 'smtp_relay' }).click();
  await expect(noJs.getByRole('heading', { level: 1, name: 'smtp_relay' })).toBeVisible();
  await context.close();
});

test('an empty organization offers an add button per type; a search with no match says so', async ({ page, loginAs }) => {
  const { org } = await loginAs();
  await page.goto(`/orgs/${org.slug}/credentials`);
  await expect(page.getByRole('heading', { name: 'No credentials yet' })).toBeVisible();
  for (const [label, type] of [['Add API key', 'api_key'], ['Add OAuth connection', 'oauth'], ['Add password', 'password'], ['Add file', 'file']]) {
    await expect(page.getByRole('link', { name: label })).toHaveAttribute('href', `/orgs/${org.slug}/credentials/new?type=${type}`);
  }
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'credentials-empty');

  const seededOrg = await seeded(loginAs);
  await page.goto(`/orgs/${seededOrg.org.slug}/credentials?q=zzz-nothing`);
  await expect(page.getByRole('heading', { name: 'No credentials match' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'credentials-no-results');
  await page.getByRole('button', { name: 'Clear filters' }).or(page.getByRole('link', { name: 'Clear filters' }).last()).click();
  await expect(page.locator('tbody tr')).toHaveCount(7);
});

test('keyboard: arrow keys move between rows and Enter opens one; a row click opens the detail', async ({ page, loginAs }) => {
  const { org, ids } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  await page.getByRole('link', { name: 'gcp_billing_exporter' }).focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('link', { name: 'github_deploy_bot' })).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.getByRole('table').getByRole('link', { name: 'stripe_test_key' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/credentials/${ids.stripe_test_key}$`));
  await page.goBack();
  await page.getByRole('row', { name: /smtp_relay/ }).getByRole('cell').nth(1).click();
  await expect(page).toHaveURL(new RegExp(`/credentials/${ids.smtp_relay}$`));
});

test('the status reason and the exact time show on focus', async ({ page, loginAs }) => {
  const { org } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  const row = page.getByRole('row', { name: /openai_research/ });
  await row.getByText('Needs attention').focus();
  await expect(page.getByRole('tooltip')).toContainText('The service rejected the key (401) on last use');
  await row.locator('time').first().focus();
  await expect(page.getByRole('tooltip')).toContainText(/UTC/);
});

test('the banner lists what needs attention and what expired, links to each, dismisses, and comes back for something new', async ({ page, loginAs }) => {
  const { org, ids } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  const banner = page.getByRole('region', { name: '1 credential needs attention and 1 expired' });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('openai_research: The service rejected the key (401) on last use');
  await expect(banner).toContainText('stripe_test_key: Expired on its expiry date');
  await expect(banner.getByRole('link', { name: 'openai_research' })).toHaveAttribute('href', `/orgs/${org.slug}/credentials/${ids.openai_research}`);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'credentials-attention-banner');
  await page.setViewportSize({ width: 375, height: 812 });
  await page.reload();
  await expect(banner).toBeVisible();
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  await screenshot(page, 'credentials-attention-banner-mobile');
  await page.setViewportSize({ width: 1280, height: 720 });

  await banner.getByRole('button', { name: /Dismiss/ }).click();
  await expect(page.locator('#attention-banner-title')).toHaveCount(0);
  await page.reload();
  await expect(page.locator('tbody tr')).toHaveCount(7);
  await expect(page.locator('#attention-banner-title')).toHaveCount(0);

  // Something new needs attention after the dismissal: the banner is back, with only the new one.
  await db().query(
    `UPDATE "Credential" SET status = 'needs_attention', "statusCause" = 'rejected', "statusReason" = 'Stripe answered 401', "statusChangedAt" = now() + interval '1 second' WHERE id = $1`,
    [ids.stripe_live_key],
  );
  await page.reload();
  await expect(page.getByRole('region', { name: '1 credential needs attention' })).toContainText('stripe_live_key: Stripe answered 401');
});

test('an expiring key is usable and warned: amber badge, Expiring chip and count, and the banner and the column agree on the time left', async ({ page, loginAs }) => {
  const { user, org } = await seeded(loginAs);
  const now = Date.now();
  // Stored as the sweep has not yet seen them: the page reads the status from the clock.
  await insertCredentials(org, user, [
    { name: 'anthropic_batch', service: 'anthropic', type: 'api_key', expiresAt: new Date(now + 4 * 86_400_000 + 2 * 3_600_000), lastUsedAt: new Date(now - 9 * 60_000) },
    { name: 'twilio_sms', service: 'twilio', type: 'api_key', expiresAt: new Date(now - 3_600_000) },
  ]);
  await page.goto(`/orgs/${org.slug}/credentials`);
  const row = page.getByRole('row', { name: /anthropic_batch/ });
  await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'expiring');
  await expect(row.locator('[data-status]')).toContainText('Expiring');
  await expect(page.getByRole('row', { name: /twilio_sms/ }).locator('[data-status]')).toHaveAttribute('data-status', 'expired');
  await expect(page.getByRole('group', { name: 'Filter by status' }).getByRole('link', { name: /Expiring\s*1/ })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Summary' }).getByRole('link', { name: '1 expires soon' })).toBeVisible();

  const banner = page.getByRole('region', { name: '1 credential needs attention, 2 expired and 1 expires soon' });
  await expect(banner).toBeVisible();
  // The visible wording, without the exact time kept for screen readers.
  const column = (await row.getByRole('cell').nth(4).locator('time').innerText()).split('(')[0]!.trim();
  expect(column).toBe('in 4 days');
  await expect(banner.locator('[data-banner-item="anthropic_batch"]')).toContainText(`anthropic_batch: Expires ${column}`);
  // Amber for expiring, another tone for needs attention.
  const tone = (name: string) => page.getByRole('row', { name: new RegExp(name) }).locator('[data-status]').evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await tone('anthropic_batch')).not.toBe(await tone('openai_research'));
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'credentials-expiring');

  await page.getByRole('group', { name: 'Filter by status' }).getByRole('link', { name: /Expiring/ }).click();
  await expect.poll(() => rowNames(page)).toEqual(['anthropic_batch']);
  await page.goto(`/orgs/${org.slug}/credentials`);
  await page.setViewportSize({ width: 375, height: 812 });
  await page.reload();
  await expect(banner).toBeVisible();
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  await screenshot(page, 'credentials-expiring-mobile');
});

test('the table looks right, passes axe, and fits 375 px', async ({ page, loginAs }) => {
  const { org } = await seeded(loginAs);
  await page.goto(`/orgs/${org.slug}/credentials`);
  await expect(page.locator('tbody tr')).toHaveCount(7);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'credentials-table');

  await page.setViewportSize({ width: 375, height: 812 });
  await page.reload();
  await expect(page.locator('tbody tr')).toHaveCount(7);
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  await expect(page.getByRole('columnheader', { name: /Status/ })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: /Expires/ })).toBeHidden();
  await screenshot(page, 'credentials-table-mobile');
});

test.describe('detail view', () => {
  test('a long status reason wraps in its own block and never runs under the action buttons (1280 and 375 px)', async ({ page, loginAs }) => {
    const { user, org } = await loginAs({ name: 'Ada Lovelace' });
    const reason =
      'Refresh failing since 2026-12-02 05:26 UTC: the provider answered invalid_client (Client authentication failed: the client ' +
      'credentials sent in the Authorization header did not match a registered client, request id ' +
      'req_9f0c1d2e3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4938271605f4e3d2c1b0a). Check the OAuth app’s client secret in Settings → OAuth apps.';
    const ids = await insertCredentials(org, user, [
      { name: 'openai_batch_service_account_prod', service: 'openai', type: 'api_key', status: 'needs_attention', statusCause: 'rejected', statusReason: reason },
    ]);
    await page.goto(`/orgs/${org.slug}/credentials/${ids.openai_batch_service_account_prod}`);
    await expect(page.getByTestId('status-reason')).toHaveText(reason);
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      const callout = page.getByRole('status', { name: 'Status: Needs attention' });
      await expect(callout).toBeVisible();
      const box = (await callout.boundingBox())!;
      for (const button of await page.locator('header').getByRole('link').or(page.locator('header').getByRole('button')).all()) {
        const b = (await button.boundingBox())!;
        const overlaps = b.x < box.x + box.width && box.x < b.x + b.width && b.y < box.y + box.height && box.y < b.y + b.height;
        expect(overlaps, await button.innerText()).toBe(false);
      }
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      await screenshot(page, width === 1280 ? 'credential-detail-long-reason' : 'credential-detail-long-reason-mobile');
    }
  });

  test('an expiring key says the time left and that agents can still use it', async ({ page, loginAs }) => {
    const { user, org } = await loginAs({ name: 'Ada Lovelace' });
    const ids = await insertCredentials(org, user, [
      { name: 'anthropic_batch', service: 'anthropic', type: 'api_key', expiresAt: new Date(Date.now() + 4 * 86_400_000 + 2 * 3_600_000) },
    ]);
    await page.goto(`/orgs/${org.slug}/credentials/${ids.anthropic_batch}`);
    const callout = page.getByRole('status', { name: 'Status: Expiring' });
    await expect(callout.getByTestId('status-reason')).toHaveText('Expires in 4 days');
    await expect(callout).toContainText('Agents can still use it');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-detail-expiring');
  });

  test('OAuth: account, scopes as chips, refresh time, connect buttons and the agents that depend on it', async ({ page, loginAs }) => {
    const { org, ids } = await seeded(loginAs);
    const releaseAgent = await insertAgent(org.id, 'release_agent', ['github_*'], { lastUsedAt: new Date(Date.now() - 10 * 60_000) });
    await insertAgent(org.id, 'triage_agent', ['github_deploy_bot', 'openai_research']);
    await insertAgent(org.id, 'billing_agent', ['stripe_*']);
    // The page shows each agent's use of this credential (ADR 005): release_agent used it 10 minutes ago.
    await db().query('INSERT INTO "AgentCredentialUsage" ("agentId", "credentialId", "lastUsedAt", "useCount") VALUES ($1, $2, $3, 4)', [
      releaseAgent,
      ids.github_deploy_bot,
      new Date(Date.now() - 10 * 60_000),
    ]);
    await page.goto(`/orgs/${org.slug}/credentials/${ids.github_deploy_bot}`);
    await expect(page.getByRole('heading', { level: 1, name: 'github_deploy_bot' })).toBeVisible();
    // The first list is Details; the Connection card has its own.
    const details = page.locator('dl').first();
    for (const label of ['Type', 'Service', 'Description', 'Account', 'Last refreshed', 'Scopes', 'Created by', 'Created', 'Last used', 'Expires']) {
      await expect(details.locator('dt', { hasText: new RegExp(`^${label}$`) })).toBeVisible();
    }
    await expect(details).toContainText('acme-release-bot');
    await expect(page.getByRole('list', { name: 'Scopes' }).getByRole('listitem')).toHaveText(['repo', 'read:org']);
    await expect(details).toContainText('Ada Lovelace');
    await expect(details).toContainText('Used 3 minutes ago');
    await expect(page.getByRole('button', { name: 'Reconnect' })).toBeEnabled();
    await expect(page.getByRole('button', { name: 'Disconnect' })).toBeEnabled();
    await expect(page.getByRole('link', { name: 'Edit' })).toHaveAttribute('href', `/orgs/${org.slug}/credentials/${ids.github_deploy_bot}/edit`);
    const agents = page.getByRole('list', { name: 'Agents with access' });
    await expect(agents.getByRole('link')).toHaveCount(2);
    await expect(agents.getByRole('link', { name: /release_agent/ })).toHaveAttribute('href', `/orgs/${org.slug}/agents/${releaseAgent}`);
    await expect(agents.getByRole('link', { name: /release_agent/ })).toContainText('Used 10 minutes ago');
    await expect(agents.getByRole('link', { name: /triage_agent/ })).toContainText('Never used');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-detail-oauth');

    await page.getByRole('button', { name: 'Disconnect' }).click();
    const disconnect = page.getByRole('dialog');
    await expect(disconnect.getByTestId('agent-impact')).toHaveText('2 agents will lose access: release_agent, triage_agent.');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-detail-oauth-disconnect-dialog');
    await page.keyboard.press('Escape');
    await expect(disconnect).toBeHidden();

    await page.getByRole('button', { name: 'Delete' }).click();
    const remove = page.getByRole('dialog');
    await expect(remove).toContainText('Its tokens are revoked at GitHub first');
    await expect(remove.getByTestId('agent-impact')).toHaveText('2 agents will lose access: release_agent, triage_agent.');
    await page.keyboard.press('Escape');

    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await expect(agents.getByRole('link')).toHaveCount(2);
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await screenshot(page, 'credential-detail-oauth-mobile');
  });

  test('a disconnected OAuth credential offers Connect and no Disconnect', async ({ page, loginAs }) => {
    const { org, ids } = await seeded(loginAs);
    await page.goto(`/orgs/${org.slug}/credentials/${ids.slack_alerts}`);
    await expect(page.getByRole('button', { name: 'Connect', exact: true })).toBeEnabled();
    await expect(page.getByRole('button', { name: 'Disconnect' })).toHaveCount(0);
    await expect(page.getByTestId('status-reason')).toHaveText('The workspace admin revoked the app');
    // No tokens are left to revoke, so the delete confirmation does not promise a revocation.
    await page.getByRole('button', { name: 'Delete' }).click();
    await expect(page.getByRole('dialog')).toContainText('Its encrypted value is destroyed');
    await expect(page.getByRole('dialog')).not.toContainText('revoked at');
  });

  test('API key: status reason, reveal, replace, edit and delete', async ({ page, loginAs }) => {
    const { org, ids } = await seeded(loginAs);
    const base = `/orgs/${org.slug}/credentials/${ids.openai_research}`;
    await page.goto(base);
    await expect(page.getByTestId('status-reason')).toHaveText('The service rejected the key (401) on last use');
    await expect(page.locator('dl').first()).toContainText('OpenAI');
    await expect(page.locator('dl').first()).toContainText('No expiry');
    await expect(page.getByRole('link', { name: 'Reveal' })).toHaveAttribute('href', `${base}/reveal`);
    await expect(page.getByRole('link', { name: 'Replace value' })).toHaveAttribute('href', `${base}/replace`);
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Delete “openai_research”?');
    const confirm = dialog.getByRole('button', { name: 'Delete credential' });
    await expect(confirm).toBeDisabled();
    await expect(dialog.getByTestId('agent-impact')).toHaveText('No agents will lose access. No agent’s allowlist names this credential.');
    await expect(dialog).not.toContainText('revoked at');
    await dialog.getByLabel(/to confirm/).fill('openai_research');
    await expect(confirm).toBeEnabled();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-detail-delete-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await screenshot(page, 'credential-detail-api-key');
  });

  test('password: the username, never the password', async ({ page, loginAs }) => {
    const { org, ids } = await seeded(loginAs);
    await page.goto(`/orgs/${org.slug}/credentials/${ids.smtp_relay}`);
    // The username is a connection field now, next to host and port where the row has them.
    await expect(page.locator('dl dt', { hasText: 'Username' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Connection' })).toContainText('mailer@acme.example');
    await expect(page.locator('dl').first()).toContainText('Never');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-detail-password');
  });

  test('file: name, size and detected kind; download and upload actions', async ({ page, loginAs }) => {
    const { org, ids } = await seeded(loginAs);
    const base = `/orgs/${org.slug}/credentials/${ids.gcp_billing_exporter}`;
    await page.goto(base);
    const details = page.locator('dl');
    await expect(details).toContainText('billing-exporter.json');
    await expect(details).toContainText('2.3 KB (2,345 bytes)');
    await expect(details).toContainText('Google Cloud service-account key');
    await expect(page.getByRole('link', { name: 'Upload new file' })).toHaveAttribute('href', `${base}/replace`);
    await expect(page.getByRole('link', { name: 'Download' })).toHaveAttribute('href', `${base}/reveal`);
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credential-detail-file');

    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await screenshot(page, 'credential-detail-file-mobile');
  });

  test('a viewer sees the details without management actions', async ({ page, loginAs }) => {
    const { ids, org } = await seeded(loginAs);
    const { addMembership, createUser, signIn } = await import('./fixtures');
    const { user: viewer } = await createUser({ org: false });
    await addMembership(viewer.id, org.id, 'viewer');
    await page.context().clearCookies();
    await signIn(page.context(), viewer);
    await page.goto(`/orgs/${org.slug}/credentials/${ids.stripe_live_key}`);
    await expect(page.getByRole('heading', { level: 1, name: 'stripe_live_key' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Delete' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Reveal' })).toHaveCount(0);
  });

  test('an unknown or malformed id answers 404', async ({ page, loginAs }) => {
    const { org } = await loginAs();
    const missing = await page.goto(`/orgs/${org.slug}/credentials/00000000-0000-4000-8000-000000000000`);
    expect(missing?.status()).toBe(404);
    const malformed = await page.goto(`/orgs/${org.slug}/credentials/not-a-uuid`);
    expect(malformed?.status()).toBe(404);
  });
});
