// A new organization from signup to a second member: signup, empty vault, invite, accept, log out and back in.
import { expect, expectNoSeriousA11yViolations, screenshot, test, uniqueEmail } from './fixtures';

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
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const link = page.getByTestId('invite-link');
    await expect(link).toBeVisible();
    inviteLink = ((await link.textContent()) ?? '').trim();
    expect(inviteLink).toMatch(/\/invitations\/[A-Za-z0-9_-]+$/);
    await screenshot(page, 'members-invite');
  });

  const member = { name: 'Grace Member', email: uniqueEmail('member'), password: 'another long passphrase' };
  await test.step('a second person opens the link in their own browser, signs up and accepts', async () => {
    const context = await browser.newContext({ baseURL });
    const guest = await context.newPage();
    try {
      await guest.goto(new URL(inviteLink).pathname);
      await expect(guest.getByText(orgName).first()).toBeVisible();
      await expectNoSeriousA11yViolations(guest);
      await screenshot(guest, 'invitation');
      // Signed out, the invitation offers to log in or sign up, then comes back here.
      await guest.getByRole('link', { name: 'Create an account' }).click();
      await guest.getByLabel('Name', { exact: true }).fill(member.name);
      await guest.getByLabel('Email').fill(member.email);
      await guest.getByLabel('Password').fill(member.password);
      await guest.getByLabel('Organization name').fill(`${member.name}'s sandbox`);
      await guest.getByRole('button', { name: 'Create account' }).click();
      await expect(guest).toHaveURL(/\/invitations\//);
      await guest.getByRole('button', { name: 'Accept invitation' }).click();
      await expect(guest).toHaveURL(new RegExp(`${orgPath}/credentials$`));
      await expect(guest.getByText('No credentials yet')).toBeVisible();
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
