// Connect from a terminal: the API gives a management token's holder a link; the signed-in member opens it, sees what will be connected and by whom, and continues to the provider.
import crypto from 'node:crypto';
import { db, expect, expectNoSeriousA11yViolations, screenshot, test } from './fixtures';

/** A management token for `userId` in the organization, stored as the app stores one (only its SHA-256). */
async function managementToken(orgId: string, userId: string): Promise<string> {
  const token = `lkm_${crypto.randomBytes(32).toString('base64url')}`;
  await db().query(
    `INSERT INTO "ManagementToken" (id, "organizationId", "userId", name, role, "tokenHash", prefix) VALUES ($1, $2, $3, 'laptop', 'admin', $4, $5)`,
    [crypto.randomUUID(), orgId, userId, crypto.createHash('sha256').update(token).digest('hex'), token.slice(0, 12)],
  );
  return token;
}

test('a link from POST /api/v1/credentials/oauth/connect opens a confirmation naming the service, the name and the requester', async ({ page, loginAs }) => {
  const { user, org } = await loginAs();
  const token = await managementToken(org.id, user.id);
  const started = await page.request.post('/api/v1/credentials/oauth/connect', {
    headers: { authorization: `Bearer ${token}` },
    data: { service: 'github', name: 'github_from_terminal' },
  });
  expect(started.status()).toBe(201);
  const { authorizationUrl } = (await started.json()) as { authorizationUrl: string };
  const path = new URL(authorizationUrl).pathname;
  expect(path).toMatch(new RegExp(`^/orgs/${org.slug}/connect/`));

  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Connect GitHub' })).toBeVisible();
  await expect(page.getByText('github_from_terminal')).toBeVisible();
  await expect(page.getByText(/Requested from the terminal by API token “laptop”/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Continue to GitHub' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'terminal-connect');
  await page.setViewportSize({ width: 375, height: 740 });
  await screenshot(page, 'terminal-connect-375');

  // A link altered by one character is refused with a sentence saying what to do.
  await page.setViewportSize({ width: 1280, height: 800 });
  const response = await page.goto(`${path.slice(0, -1)}${path.endsWith('A') ? 'B' : 'A'}`);
  expect(response?.status()).toBe(400);
  await expect(page.getByText('This connect link no longer works')).toBeVisible();
});
