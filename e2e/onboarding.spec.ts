// A new organization from signup to a second member: signup, empty vault, invite (the role's capabilities shown), sign up from the link into the organization, log out and back in.
import { db, expect, expectNoSeriousA11yViolations, screenshot, test, uniqueEmail } from './fixtures';

test('an owner signs up, invites a member who accepts, then logs out and back in', async ({ page, browser, baseURL }) => {
  const owner = { name: 'Ada Owner', email: uniqueEmail('owner'), password: 'correct horse battery staple' };
  const orgName = `Acme Robotics ${Date.now().toString(36)}`;

  await test.step('sign up through the form', async () => {
    await page.goto('/signup');
    await expect(page.getByRole('button', { name: 'Create account' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'signup');
    await page.getByLabel('Name', { exact: true }).fill(owner.name);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByLabel('Organization name').fill(orgName);
    await page.getByRole('button', { name: 'Create account' }).click();
  });

  let orgPath = '';
  await test.step('lands on the organization’s empty credentials page', async () => {
    await expect(page).toHaveURL(/\/orgs\/[^/]+\/credentials$/);
    await expect(page.getByText('No credentials yet')).toBeVisible();
    orgPath = new URL(page.url()).pathname.replace(/\/credentials$/, '');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'credentials-empty');
  });

  let inviteLink = '';
  await test.step('creates an invite link for a member', async () => {
    await page.goto(`${orgPath}/members`);
    await expect(page.getByRole('list', { name: 'Members' }).getByText(owner.email)).toBeVisible();
    await screenshot(page, 'members');
    await page.getByRole('button', { name: 'Invite member' }).click();
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    // The dialog says what a member can do, from the role matrix (not "adds and uses credentials").
    const capabilities = page.getByTestId('role-capabilities');
    await expect(capabilities).toContainText('Add credentials');
    await expect(capabilities).toContainText('Edit, replace the value of, reconnect, disconnect and delete credentials they added');
    await expect(capabilities).not.toContainText('Reveal');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'members-invite-dialog');
    await page.setViewportSize({ width: 375, height: 900 });
    await screenshot(page, 'members-invite-dialog-375');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const link = page.getByTestId('invite-link');
    await expect(link).toBeVisible();
    inviteLink = ((await link.textContent()) ?? '').trim();
    expect(inviteLink).toMatch(/\/invitations\/[A-Za-z0-9_-]+$/);
    await screenshot(page, 'members-invite');
  });

  const member = { name: 'Grace Member', email: uniqueEmail('member'), password: 'another long passphrase' };
  await test.step('a second person opens the link in their own browser and signs up straight into the organization', async () => {
    const context = await browser.newContext({ baseURL });
    const guest = await context.newPage();
    try {
      await guest.goto(new URL(inviteLink).pathname);
      await expect(guest.getByText(orgName).first()).toBeVisible();
      await expectNoSeriousA11yViolations(guest);
      await screenshot(guest, 'invitation');
      // Signed out, the invitation offers to log in or sign up. Signing up from it joins this
      // organization: no organization name is asked, and none of their own is created.
      await guest.getByRole('link', { name: 'Create an account' }).click();
      await expect(guest.getByRole('heading', { name: `Join ${orgName}` })).toBeVisible();
      await expect(guest.getByLabel('Organization name')).toHaveCount(0);
      await expectNoSeriousA11yViolations(guest);
      await screenshot(guest, 'signup-invited');
      await guest.getByLabel('Name', { exact: true }).fill(member.name);
      await guest.getByLabel('Email').fill(member.email);
      await guest.getByLabel('Password').fill(member.password);
      await guest.getByRole('button', { name: 'Create account and join' }).click();
      await expect(guest).toHaveURL(new RegExp(`${orgPath}/credentials$`));
      await expect(guest.getByText(`Welcome to ${orgName}`)).toBeVisible();
      // A member may add credentials: the empty vault offers it.
      await expect(guest.getByText('Add the first credential your agents need.')).toBeVisible();
      const { rows } = await db().query<{ slug: string; role: string }>(
        'SELECT o.slug, m.role FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId" JOIN "User" u ON u.id = m."userId" WHERE u.email = $1',
        [member.email],
      );
      expect(rows).toEqual([{ slug: orgPath.split('/')[2], role: 'member' }]);
    } finally {
      await context.close();
    }
  });

  await test.step('the owner sees the new member with role "member"', async () => {
    await page.goto(`${orgPath}/members`);
    const row = page.getByRole('list', { name: 'Members' }).getByRole('listitem').filter({ hasText: member.email });
    await expect(row).toBeVisible();
    await expect(row.getByText('Member', { exact: true }).filter({ visible: true })).toBeVisible();
    await expect(row.getByRole('combobox')).toHaveValue('member');
    await screenshot(page, 'members-with-new-member');
  });

  await test.step('logs out and back in', async () => {
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).or(page.getByRole('button', { name: 'Log out' })).click();
    await expect(page).toHaveURL(/\/login|\/$/);
    await page.goto(`${orgPath}/credentials`);
    await expect(page).toHaveURL(/\/login/);
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'login');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(new RegExp(`${orgPath}/credentials$`));
    await expect(page.getByText('No credentials yet')).toBeVisible();
  });
});
