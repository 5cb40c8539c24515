// Proposals end to end: an agent proposes through the real API; the inbox lists it, the approval page shows every kind of slot, and an invalid approval shows each field's error with nothing applied (screenshots at 1280 and 375 px).
import crypto from 'node:crypto';
import { insertCredentials } from './credential-fixtures';
import { db, expect, expectNoSeriousA11yViolations, insertAgent, screenshot, test } from './fixtures';

test('an agent’s proposal in the inbox and on the approval page; an invalid approval applies nothing', async ({ page, loginAs }) => {
  const { user, org } = await loginAs();
  const base = `/orgs/${org.slug}`;
  await insertCredentials(org, user, [
    { name: 'sentry_dsn', service: 'custom', type: 'api_key' },
    { name: 'legacy_token', service: 'github', type: 'api_key' },
  ]);
  const agentId = await insertAgent(org.id, 'deploy-bot', ['legacy_token']);
  const token = `lk_${crypto.randomBytes(32).toString('base64url')}`;
  await db().query('INSERT INTO "AgentToken" (id, "agentId", "tokenHash", prefix) VALUES (gen_random_uuid(), $1, $2, $3)', [
    agentId,
    crypto.createHash('sha256').update(token).digest('hex'),
    token.slice(0, 9),
  ]);

  const supplied = `sk-proj-${crypto.randomBytes(16).toString('hex')}`;
  const response = await page.request.post('/api/v1/proposals', {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      message: 'Deploying the billing service to production needs Stripe, the mail relay and GitHub; the old token can go.',
      credentials: [
        {
          name: 'stripe_key',
          service: 'stripe',
          type: 'api_key',
          description: 'Restricted key for charges and refunds',
          obtain: 'https://dashboard.stripe.com/apikeys',
          obtainInstructions: 'Create a restricted key with Charges: write and Refunds: write.',
        },
        { name: 'smtp_login', service: 'custom', type: 'password', description: 'The mail relay for receipts' },
        { name: 'github_deploy', service: 'github', type: 'oauth', description: 'Pushes release tags' },
        { name: 'openai_key', service: 'openai', type: 'api_key', value: supplied, description: 'A key I generated for summaries' },
        { name: 'sentry_dsn' },
        { name: 'legacy_token', action: 'delete' },
      ],
    },
  });
  expect(response.status(), await response.text()).toBe(201);
  const proposal = (await response.json()) as { id: string };

  await test.step('the banner and the sidebar badge announce it; the inbox lists it', async () => {
    await page.goto(`${base}/credentials`);
    await expect(page.getByTestId('proposal-banner')).toContainText('Agent deploy-bot asks for 6 credentials');
    await expect(page.getByTestId('pending-proposals').first()).toHaveText('1 pending');
    await screenshot(page, 'proposals-banner');
    await page.getByRole('link', { name: /^Proposals/ }).first().click();
    await expect(page.getByRole('heading', { name: 'Proposals', level: 1 })).toBeVisible();
    await expect(page.getByTestId('proposal-row')).toHaveCount(1);
    await expect(page.getByTestId('proposal-banner')).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'proposals-inbox');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'proposals-inbox-375');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  await test.step('an invalid approval shows each error beside its field and applies nothing', async () => {
    await page.getByTestId('proposal-row').click();
    await expect(page.getByRole('heading', { name: 'Proposal from deploy-bot' })).toBeVisible();
    await expect(page.getByText('Value supplied by the agent')).toBeVisible();
    await expect(page.getByText('Exists; approving gives the agent access.')).toBeVisible();
    await page.getByLabel('Secret or restricted key').fill('not-a-stripe-key');
    await page.getByLabel('Username').fill('mailer@example.com');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Nothing was applied' })).toBeVisible();
    await expect(page.locator('[data-slot="stripe_key"]')).toContainText('Stripe keys start with');
    await expect(page.locator('[data-slot="github_deploy"]')).toContainText('Connect this account, or paste its tokens');
    // The non-secret value stays; the secret is entered again.
    await expect(page.getByLabel('Username')).toHaveValue('mailer@example.com');
    await expect(page.getByLabel('Secret or restricted key')).toHaveValue('');
    const { rows } = await db().query('SELECT status FROM "Proposal" WHERE id = $1', [proposal.id]);
    expect(rows[0]!.status).toBe('pending');
    await expectNoSeriousA11yViolations(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'proposal-approval-errors');
    await page.setViewportSize({ width: 375, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'proposal-approval-mobile');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  await test.step('an owner reveals the value the agent supplied; it was never in the page before', async () => {
    expect(await page.content()).not.toContain(supplied);
    const card = page.locator('[data-slot="openai_key"]');
    await card.getByRole('button', { name: 'Reveal' }).click();
    await expect(card.locator('[data-revealed-value="key"]')).toHaveText(supplied);
    const { rows } = await db().query('SELECT 1 FROM "AuditEvent" WHERE "targetId" = $1 AND action = $2', [proposal.id, 'proposal.value_revealed']);
    expect(rows).toHaveLength(1);
  });

  await test.step('Settings: proposals expire after N days (1–90), with a field error beside the input', async () => {
    await page.goto(`${base}/settings`);
    await page.getByLabel('Proposals expire after').fill('120');
    await page.getByRole('button', { name: 'Save expiry' }).click();
    await expect(page.getByText('At most 90 days')).toBeVisible();
    await screenshot(page, 'settings-proposal-expiry-error');
    await page.getByLabel('Proposals expire after').fill('14');
    await page.getByRole('button', { name: 'Save expiry' }).click();
    await expect(page.getByText('Proposals now expire after 14 days')).toBeVisible();
    await expect(page.getByLabel('Proposals expire after')).toHaveValue('14');
  });
});
