// Agents end to end: the create form empties after "Create agent", allowlist entries that match nothing are warned about as you type, an entry switched to Deliver is marked everywhere, and "last used" reads the same on the agents list, the agent page and the credential page.
import { insertCredentials } from './credential-fixtures';
import { db, expect, expectNoSeriousA11yViolations, insertAgent, screenshot, test } from './fixtures';

// The visible words; screen readers also hear the exact time after them.
const SEVEN = /^Used 7 minutes ago \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/;

test('an owner creates an agent: names offered, a typo warned about, the form empty afterwards; last used agrees everywhere', async ({ page, loginAs }) => {
  const { user, org } = await loginAs();
  const base = `/orgs/${org.slug}`;
  const ids = await insertCredentials(org, user, [
    { name: 'openai', service: 'openai', type: 'api_key' },
    { name: 'github_token', service: 'github', type: 'api_key' },
  ]);

  await test.step('the allowlist offers the credential names and warns about an entry that matches none', async () => {
    await page.goto(`${base}/agents`);
    await page.getByRole('button', { name: 'New agent' }).click();
    await page.getByLabel('Name', { exact: true }).fill('support-bot');
    await page.getByLabel('Description').fill('Answers support tickets');
    const allowlist = page.getByLabel('Credentials it may use');
    // The input offers the organization's names as you type (a native datalist).
    const listId = await allowlist.getAttribute('list');
    await expect(page.locator(`datalist[id="${listId}"] option`)).toHaveCount(2);
    await allowlist.fill('opnai');
    await allowlist.press('Enter');
    await allowlist.fill('openai');
    await allowlist.press('Enter');
    await expect(page.getByTestId('allowlist-entry')).toHaveText(['opnai', 'openai']);
    await expect(page.getByRole('status').filter({ hasText: 'matches no credential' })).toContainText('opnai');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'agents-new-form');
    await page.setViewportSize({ width: 375, height: 900 });
    await screenshot(page, 'agents-new-form-375');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  await test.step('after "Create agent" the token shows once and the form is gone; a new form is empty', async () => {
    await page.getByRole('button', { name: 'Create agent' }).click();
    await expect(page.getByText('Token for support-bot')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create agent' })).toHaveCount(0);
    // The warning stays with the result (the entry was saved: the credential may be added later).
    await expect(page.getByRole('status').filter({ hasText: 'matches no credential' })).toContainText('opnai');
    await screenshot(page, 'agents-created');
    await page.getByRole('button', { name: 'New agent' }).click();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');
    await expect(page.getByLabel('Description')).toHaveValue('');
    await expect(page.getByTestId('allowlist-entry')).toHaveCount(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    const { rows } = await db().query('SELECT 1 FROM "Agent" WHERE "organizationId" = $1', [org.id]);
    expect(rows).toHaveLength(1);
  });

  await test.step('last used reads the same on the agents list, the agent page and the credential page', async () => {
    const { rows } = await db().query<{ id: string }>('SELECT id FROM "Agent" WHERE "organizationId" = $1', [org.id]);
    const agentId = rows[0]!.id;
    // What the usage flush writes for one use 7 minutes ago (ADR 005); the token was also seen 2 minutes ago.
    const usedAt = new Date(Date.now() - 7 * 60_000 - 5_000);
    await db().query('UPDATE "Credential" SET "lastUsedAt" = $2 WHERE id = $1', [ids.openai, usedAt]);
    await db().query('UPDATE "Agent" SET "lastUsedAt" = $2 WHERE id = $1', [agentId, usedAt]);
    await db().query('INSERT INTO "AgentCredentialUsage" ("agentId", "credentialId", "lastUsedAt", "useCount") VALUES ($1, $2, $3, 4)', [agentId, ids.openai, usedAt]);
    await db().query('UPDATE "AgentToken" SET "lastUsedAt" = $2 WHERE "agentId" = $1', [agentId, new Date(Date.now() - 2 * 60_000)]);

    await page.reload();
    await expect(page.getByTestId('last-used')).toHaveText([SEVEN]);
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'agents-list');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'agents-list-375');
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.getByRole('link', { name: 'support-bot' }).click();
    await expect(page.getByRole('heading', { name: 'support-bot' })).toBeVisible();
    await expect(page.getByTestId('last-used')).toHaveText([SEVEN, SEVEN]);
    await expect(page.getByText(/Last seen\s*2 min ago/)).toBeVisible();
    // The exact time is one hover away.
    await page.getByTestId('last-used').first().hover();
    await expect(page.getByRole('tooltip')).toContainText('UTC');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'agent-page');
    await page.setViewportSize({ width: 375, height: 900 });
    await screenshot(page, 'agent-page-375');
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.goto(`${base}/credentials/${ids.openai}`);
    await expect(page.getByTestId('last-used')).toHaveText([SEVEN, SEVEN]);
    await page.goto(`${base}/credentials/${ids.github_token}`);
    await expect(page.getByTestId('last-used')).toHaveText(['Never used']);
  });

  await test.step('the audit log names the agent as it is now, with the IP', async () => {
    await page.goto(`${base}/audit`);
    const row = page.getByRole('table').getByRole('row').filter({ hasText: 'Created agent' });
    await expect(row.getByRole('link', { name: 'support-bot' })).toBeVisible();
    await expect(row).not.toContainText('(deleted)');
    await expect(row).toContainText('127.0.0.1');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'audit-agents');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'audit-agents-375');
  });
});

test('an owner switches one allowlist entry to Deliver: saved, and marked on the agent page and the agents list', async ({ page, loginAs }) => {
  const { user, org } = await loginAs();
  const base = `/orgs/${org.slug}`;
  await insertCredentials(org, user, [
    { name: 'stripe_live', service: 'stripe', type: 'api_key' },
    { name: 'github_token', service: 'github', type: 'api_key' },
    { name: 'openai', service: 'openai', type: 'api_key' },
  ]);
  const agentId = await insertAgent(org.id, 'release-bot', ['github_token', 'stripe_live', 'openai']);
  await db().query('INSERT INTO "AgentToken" (id, "agentId", "tokenHash", prefix) VALUES (gen_random_uuid(), $1, $2, $3)', [agentId, `e2e-${agentId}`, 'lk_Rb7xQ2']);

  await page.goto(`${base}/agents/${agentId}`);
  await expect(page.getByRole('heading', { name: 'release-bot' })).toBeVisible();
  await expect(page.getByTestId('delivers-values')).toHaveCount(0);
  // Every entry starts in Proxy mode; the choice names what the agent gets.
  const mode = page.getByLabel('Mode of stripe_live');
  await expect(mode).toHaveValue('');
  await expect(mode.locator('option')).toHaveText(['Proxy (never sees the value)', 'Deliver (agent receives the value)']);
  await mode.selectOption({ label: 'Deliver (agent receives the value)' });
  await expect(page.getByText('Delivers values:')).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).click();

  await expect(page.getByText('Agent saved')).toBeVisible();
  await expect(page.getByLabel('Mode of stripe_live')).toHaveValue('stripe_live');
  await expect(page.getByLabel('Mode of github_token')).toHaveValue('');
  await expect(page.getByTestId('delivers-values')).toBeVisible();
  const { rows } = await db().query<{ deliverCredentials: string[] }>('SELECT "deliverCredentials" FROM "Agent" WHERE id = $1', [agentId]);
  expect(rows[0]!.deliverCredentials).toEqual(['stripe_live']);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'agent-deliver');
  await page.setViewportSize({ width: 375, height: 900 });
  await screenshot(page, 'agent-deliver-375');
  await page.setViewportSize({ width: 1280, height: 720 });
  // What Deliver means is one focus (or hover) away from the badge.
  await page.getByTestId('delivers-values').focus();
  await expect(page.getByRole('tooltip')).toContainText('receives the raw value');

  await page.goto(`${base}/agents`);
  await expect(page.getByTestId('delivers-values')).toBeVisible();
  await expect(page.getByTestId('deliver-tag')).toHaveCount(1);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'agents-list-deliver');
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, 'agents-list-deliver-375');
});
