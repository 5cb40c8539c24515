// The agent page's doctor end to end: an admin sees each requirement's state, allows one in a click (the row turns ok), and "Add credential" opens the add form prefilled.
import { insertCredentials } from './credential-fixtures';
import { db, expect, expectNoSeriousA11yViolations, insertAgent, screenshot, test } from './fixtures';

test('an admin fixes an agent’s requirements from the doctor card: Allow in one click, Add credential prefilled', async ({ page, loginAs }) => {
  const { user, org } = await loginAs({ org: { role: 'admin' } });
  const base = `/orgs/${org.slug}`;
  await insertCredentials(org, user, [
    { name: 'github_token', service: 'github', type: 'api_key' },
    { name: 'stripe_live', service: 'stripe', type: 'api_key' },
  ]);
  const agentId = await insertAgent(org.id, 'release-bot', ['github_token']);
  const requirements = [
    {
      name: 'github_token',
      service: 'github',
      type: 'api_key',
      optional: false,
      description: 'Opens pull requests and tags releases',
    },
    {
      name: 'openai_key',
      service: 'openai',
      type: 'api_key',
      optional: false,
      description: 'Writes the release notes',
    },
    {
      name: 'stripe_live',
      service: 'stripe',
      type: 'api_key',
      optional: true,
      description: 'Reads last month’s revenue for the changelog',
    },
  ];
  await db().query('UPDATE "Agent" SET requirements = $2::jsonb, description = $3 WHERE id = $1', [
    agentId,
    JSON.stringify(requirements),
    'Ships releases every Friday',
  ]);

  const card = page.getByTestId('doctor-card');
  const row = (name: string) => card.getByTestId('doctor-row').filter({ has: page.getByText(name, { exact: true }) });

  await test.step('the doctor card shows one row per requirement with its state, and a summary', async () => {
    await page.goto(`${base}/agents/${agentId}`);
    await expect(page.getByRole('heading', { name: 'release-bot' })).toBeVisible();
    await expect(card.getByTestId('doctor-summary')).toContainText('2 of 3 requirements need a person');
    await expect(card.getByTestId('doctor-state')).toHaveText(['OK', 'Missing', 'Not allowed']);
    await expect(row('openai_key')).toContainText('No credential named openai_key (OpenAI) yet');
    await expect(row('stripe_live')).toContainText('Optional');
    await expect(row('github_token').getByRole('button')).toHaveCount(0);
    // The editor below holds the same three rows.
    await expect(page.locator('#requirements').getByTestId('requirement-row')).toHaveCount(3);
    await expectNoSeriousA11yViolations(page);
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'agent-doctor-card');
    await page.setViewportSize({ width: 375, height: 900 });
    await screenshot(page, 'agent-doctor-card-mobile');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await test.step('Allow adds the name to the allowlist and the row turns ok', async () => {
    await row('stripe_live').getByRole('button', { name: 'Allow stripe_live' }).click();
    await expect(page.getByText('Allowed stripe_live')).toBeVisible();
    await expect(row('stripe_live').getByTestId('doctor-state')).toHaveText('OK');
    await expect(card.getByTestId('doctor-summary')).toContainText('1 of 3 requirements needs a person');
    await expect(page.getByTestId('allowlist-entry')).toHaveText(['github_token', 'stripe_live']);
    const { rows } = await db().query<{ allowedCredentials: string[] }>('SELECT "allowedCredentials" FROM "Agent" WHERE id = $1', [agentId]);
    expect(rows[0]!.allowedCredentials).toEqual(['github_token', 'stripe_live']);
  });

  await test.step('the editor refuses a bad row under its field, keeps the rows, and saves a good one into the doctor', async () => {
    const editor = page.locator('#requirements');
    await editor.getByRole('button', { name: 'Add requirement' }).click();
    const added = editor.getByTestId('requirement-row').nth(3);
    await added.getByRole('textbox', { name: 'Name', exact: true }).fill('bad name!');
    // Only the types the chosen service offers are listed (Stripe has no OAuth).
    await added.getByLabel('Service', { exact: true }).selectOption({ label: 'Stripe' });
    await expect(added.getByLabel('Type', { exact: true }).locator('option')).not.toContainText(['OAuth']);
    await editor.getByRole('button', { name: 'Save requirements' }).click();
    await expect(editor.getByTestId('requirement-row').nth(3).getByRole('textbox', { name: 'Name', exact: true })).toHaveAttribute('aria-invalid', 'true');
    await expect(editor.getByTestId('requirement-row').nth(3)).toContainText('Use letters, digits');
    await expect(card.getByTestId('doctor-row')).toHaveCount(3);

    await editor.getByTestId('requirement-row').nth(3).getByRole('textbox', { name: 'Name', exact: true }).fill('stripe_test');
    await editor.getByRole('button', { name: 'Save requirements' }).click();
    await expect(page.getByText('Requirements saved')).toBeVisible();
    await expect(card.getByTestId('doctor-row')).toHaveCount(4);
    await expect(row('stripe_test').getByTestId('doctor-state')).toHaveText('Missing');
  });

  await test.step('Add credential opens the add form with name, service and type filled in', async () => {
    await row('openai_key').getByRole('link', { name: 'Add credential: openai_key' }).click();
    await expect(page).toHaveURL(new RegExp(`${base}/credentials/new\\?name=openai_key&type=api_key&service=openai$`));
    await expect(page.getByRole('heading', { name: 'OpenAI · API key' })).toBeVisible();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('openai_key');
  });
});
