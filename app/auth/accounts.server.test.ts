// Sign-up, login, throttling, sessions and re-authentication against the real database.
import { describe, expect, it } from 'vitest';
import { prisma } from '~/db.server';
import { action as loginAction } from '~/routes/login';
import { action as logoutAction } from '~/routes/logout';
import { action as signupAction } from '~/routes/signup';
import { loader as rootLoader } from '~/root';
import { loader as orgLayoutLoader } from '~/routes/orgs.$orgSlug';
import { loader as credentialsLoader } from '~/routes/orgs.$orgSlug.credentials._index';
import { loader as membersLoader } from '~/routes/orgs.$orgSlug.members';
import { loader as settingsLoader } from '~/routes/orgs.$orgSlug.settings';
import { EMAIL_TAKEN_MESSAGE, LOGIN_FAILED_MESSAGE, reauthenticate } from './accounts.server';
import { MAX_CONSECUTIVE_FAILURES_PER_PAIR, MAX_FAILURES_PER_IP } from './login-throttle.server';
import {
  getUserSession,
  hashSessionToken,
  ReauthRequiredError,
  renewSessionIfDue,
  requireRecentReauth,
  requireUser,
} from './session.server';
import {
  cookiePair,
  createSignedUpUser,
  getRequest,
  postRequest,
  settle,
  STRONG_PASSWORD,
  testContext,
  uniqueEmail,
  unwrapData,
} from './test-helpers';

/**
 * Rows a sign-up attempt could have written, scoped to its email and organization name so that
 * test files running in parallel do not disturb the comparison.
 */
async function rowCounts(email: string, organizationName: string) {
  const [users, organizations, memberships, sessions, dataKeys] = await Promise.all([
    prisma.user.count({ where: { email: email.toLowerCase() } }),
    prisma.organization.count({ where: { name: organizationName } }),
    prisma.membership.count({ where: { OR: [{ user: { email: email.toLowerCase() } }, { organization: { name: organizationName } }] } }),
    prisma.session.count({ where: { user: { email: email.toLowerCase() } } }),
    prisma.organizationDataKey.count({ where: { organization: { name: organizationName } } }),
  ]);
  return { users, organizations, memberships, sessions, dataKeys };
}

function signup(form: Record<string, string>, cookie?: string) {
  return settle(() => signupAction({ request: postRequest('/signup', form, cookie), params: {}, context: testContext }));
}

function login(form: Record<string, string>, options: { cookie?: string; ip?: string } = {}) {
  const context = options.ip ? { ...testContext, clientIp: options.ip } : testContext;
  return settle(() => loginAction({ request: postRequest('/login', form, options.cookie), params: {}, context }));
}

type Reply = { status?: string; error?: Record<string, string[] | null> | null; initialValue?: Record<string, unknown> | null };

function replyOf(result: unknown): { reply: Reply; status: number } {
  const { data, status } = unwrapData(result);
  return { reply: data as Reply, status };
}

describe('sign up', () => {
  it('creates the user, an organization with a data key, an owner membership and a session, then opens its credentials', async () => {
    const email = uniqueEmail('Signup').toUpperCase();
    const result = await signup({ name: 'Ada Lovelace', email, password: STRONG_PASSWORD, organizationName: 'Analytical Engines' });

    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get('Location')).toMatch(/^\/orgs\/analytical-engines(-\d+)?\/credentials$/);
    const setCookie = response.headers.get('Set-Cookie') ?? '';
    expect(setCookie).toMatch(/__session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/);

    const user = await prisma.user.findUniqueOrThrow({
      where: { email: email.toLowerCase() },
      include: { memberships: { include: { organization: { include: { dataKeys: true } } } }, sessions: true },
    });
    expect(user.name).toBe('Ada Lovelace');
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.memberships).toHaveLength(1);
    expect(user.memberships[0]!.role).toBe('owner');
    expect(user.memberships[0]!.organization.name).toBe('Analytical Engines');
    expect(user.memberships[0]!.organization.dataKeys).toHaveLength(1);
    // The database stores only the token's hash, never the token itself.
    const token = /__session=([^;]+)/.exec(setCookie)![1]!;
    expect(user.sessions.map((s) => s.id)).toEqual([hashSessionToken(token)]);
  });

  it('answers a duplicate email (any letter case) with an error on the email field and writes nothing', async () => {
    const existing = await createSignedUpUser();
    const organizationName = `Another Org ${Date.now()}`;
    const before = await rowCounts(existing.email, organizationName);
    expect(before.users).toBe(1);
    const result = await signup({
      name: 'Someone Else',
      email: existing.email.toUpperCase(),
      password: STRONG_PASSWORD,
      organizationName,
    });
    const { reply, status } = replyOf(result);
    expect(status).toBe(400);
    expect(reply.error?.email).toEqual([EMAIL_TAKEN_MESSAGE]);
    expect(await rowCounts(existing.email, organizationName)).toEqual(before);
  });

  it('rejects weak passwords with a precise message on the password field and writes nothing', async () => {
    const email = uniqueEmail('weak');
    const organizationName = `Weak Org ${Date.now()}`;
    const tooShort = replyOf(await signup({ name: 'A', email, password: 'Short1!', organizationName }));
    expect(tooShort.status).toBe(400);
    expect(tooShort.reply.error?.password).toContain('Use at least 12 characters.');

    const oneClass = replyOf(await signup({ name: 'A', email, password: 'onlylowercaseletters', organizationName }));
    expect(oneClass.reply.error?.password?.[0]).toMatch(/Mix at least two kinds of characters/);
    expect(oneClass.reply.error?.email ?? null).toBeNull();
    expect(await rowCounts(email, organizationName)).toEqual({ users: 0, organizations: 0, memberships: 0, sessions: 0, dataKeys: 0 });
  });

  it('never sends the typed password back, in error replies or in any page data afterwards', async () => {
    const canary = `Canary-${Date.now()}-Pw!`;
    const failed = await signup({ name: 'Canary', email: 'not-an-email', password: canary, organizationName: 'Canary Org' });
    expect(JSON.stringify(unwrapData(failed).data)).not.toContain(canary);

    const email = uniqueEmail('canary');
    const created = (await signup({ name: 'Canary', email, password: canary, organizationName: 'Canary Org' })) as Response;
    const cookie = cookiePair(created.headers.get('Set-Cookie'));
    const slug = created.headers.get('Location')!.split('/')[2]!;

    const wrongLogin = await login({ email, password: `${canary}-wrong` });
    expect(JSON.stringify(unwrapData(wrongLogin).data)).not.toContain(canary);

    const args = { request: getRequest(`/orgs/${slug}/credentials`, cookie), params: { orgSlug: slug }, context: testContext };
    const pages = await Promise.all([
      rootLoader(args),
      orgLayoutLoader(args),
      credentialsLoader(args),
      membersLoader(args),
      settingsLoader(args),
    ]);
    const json = JSON.stringify(pages.map((p) => unwrapData(p).data));
    expect(json).toContain(email);
    expect(json).not.toContain(canary);
    expect(json).not.toContain('argon2');
  });
});

describe('log in', () => {
  it('gives the identical message for a wrong password and for an unknown email', async () => {
    const user = await createSignedUpUser();
    const wrongPassword = replyOf(await login({ email: user.email, password: 'Wrong-password-123' }));
    const unknownEmail = replyOf(await login({ email: uniqueEmail('nobody'), password: 'Wrong-password-123' }));
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.reply.error?.['']).toEqual([LOGIN_FAILED_MESSAGE]);
    expect(unknownEmail.reply.error).toEqual(wrongPassword.reply.error);
    expect(unknownEmail.status).toBe(wrongPassword.status);
  });

  it('logs in with the right password (email in any case) and redirects to a validated relative path', async () => {
    const user = await createSignedUpUser();
    const ok = (await login({ email: user.email.toUpperCase(), password: STRONG_PASSWORD, redirectTo: '/orgs/x/members' })) as Response;
    expect(ok.status).toBe(302);
    expect(ok.headers.get('Location')).toBe('/orgs/x/members');

    const offsite = (await login({ email: user.email, password: STRONG_PASSWORD, redirectTo: '//evil.example/steal' })) as Response;
    expect(offsite.headers.get('Location')).toBe('/');
  });

  it(`locks an account for 15 minutes from the address that failed ${MAX_CONSECUTIVE_FAILURES_PER_PAIR} times, even with the right password`, async () => {
    const user = await createSignedUpUser();
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES_PER_PAIR; i++) {
      expect(replyOf(await login({ email: user.email, password: `Wrong-password-${i}` })).reply.error?.['']).toEqual([LOGIN_FAILED_MESSAGE]);
    }
    const blocked = replyOf(await login({ email: user.email, password: STRONG_PASSWORD }));
    expect(blocked.reply.error?.['']?.[0]).toMatch(/^Too many attempts\. Try again in 1[45] minutes\.$/);
    expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(1);
  });

  it(`throttles an IP after ${MAX_FAILURES_PER_IP} failures across different accounts`, async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}-${Date.now()}`;
    await prisma.rateLimit.deleteMany({ where: { key: { contains: ip } } });
    for (let i = 0; i < MAX_FAILURES_PER_IP; i++) {
      await login({ email: uniqueEmail('spray'), password: 'Wrong-password-123' }, { ip });
    }
    const user = await createSignedUpUser();
    const blocked = replyOf(await login({ email: user.email, password: STRONG_PASSWORD }, { ip }));
    expect(blocked.reply.error?.['']?.[0]).toMatch(/^Too many attempts/);
    const otherIp = (await login({ email: user.email, password: STRONG_PASSWORD }, { ip: `${ip}-other` })) as Response;
    expect(otherIp.status).toBe(302);
  }, 60_000);

  it('issues a new session id on login and the old cookie stops working', async () => {
    const user = await createSignedUpUser();
    const oldCookie = user.cookie;
    const response = (await login({ email: user.email, password: STRONG_PASSWORD }, { cookie: oldCookie })) as Response;
    const newCookie = cookiePair(response.headers.get('Set-Cookie'));
    expect(newCookie).not.toBe(oldCookie);
    expect(await getUserSession(getRequest('/', oldCookie))).toBeNull();
    expect((await getUserSession(getRequest('/', newCookie)))?.user.id).toBe(user.userId);
  });
});

describe('sessions', () => {
  it('log out deletes the session row and clears the cookie', async () => {
    const user = await createSignedUpUser();
    const response = (await settle(() =>
      logoutAction({ request: postRequest('/logout', {}, user.cookie), params: {}, context: testContext }),
    )) as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get('Location')).toBe('/login');
    expect(response.headers.get('Set-Cookie')).toMatch(/__session=; .*Max-Age=0/);
    expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(0);
    const after = await settle(() => requireUser(getRequest('/orgs/x/credentials', user.cookie)));
    expect(after).toBeInstanceOf(Response);
    expect((after as Response).headers.get('Location')).toBe('/login?redirectTo=%2Forgs%2Fx%2Fcredentials');
  });

  it('slides the expiry forward once a day has passed, and reissues the cookie', async () => {
    const user = await createSignedUpUser();
    const request = getRequest('/', user.cookie);
    const { session } = (await getUserSession(request))!;
    expect(await renewSessionIfDue(request)).toBeNull();

    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: twoDaysAgo, expiresAt: new Date(Date.now() + 3600 * 1000) } });
    const setCookie = await renewSessionIfDue(request);
    expect(setCookie).toContain(user.cookie);
    const renewed = await prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 13 * 24 * 3600 * 1000);
    expect(renewed.lastSeenAt.getTime()).toBeGreaterThan(twoDaysAgo.getTime());

    // The root loader is where browsers get the renewed cookie.
    await prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: twoDaysAgo } });
    const rootHeaders = async () =>
      ((await rootLoader({ request, params: {}, context: testContext })) as unknown as { init: { headers: Headers } }).init.headers;
    expect((await rootHeaders()).get('Set-Cookie')).toContain(user.cookie);
    // Renewed just now: the next page view leaves the cookie alone.
    expect((await rootHeaders()).get('Set-Cookie')).toBeNull();
  });

  it('an expired session is refused and removed', async () => {
    const user = await createSignedUpUser();
    await prisma.session.updateMany({ where: { userId: user.userId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await getUserSession(getRequest('/', user.cookie))).toBeNull();
    expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(0);
  });

  it('re-authentication with the password opens a 5-minute window; a wrong password does not', async () => {
    const user = await createSignedUpUser();
    const { session } = (await getUserSession(getRequest('/', user.cookie)))!;
    expect(() => requireRecentReauth(session)).toThrow(ReauthRequiredError);
    expect(await reauthenticate(session, 'Not-the-password-1')).toEqual({ ok: false, error: 'That password is incorrect.' });
    expect(await reauthenticate(session, STRONG_PASSWORD)).toEqual({ ok: true });
    const fresh = (await getUserSession(getRequest('/', user.cookie)))!.session;
    expect(() => requireRecentReauth(fresh)).not.toThrow();
    expect(() => requireRecentReauth({ reauthenticatedAt: new Date(Date.now() - 6 * 60 * 1000) })).toThrow(ReauthRequiredError);
  });
});
