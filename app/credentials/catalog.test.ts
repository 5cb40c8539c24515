// Checks the service catalog is well-formed data and its format checks accept real-shaped keys only.
import fs from 'node:fs';
import path from 'node:path';
import * as simpleIcons from 'simple-icons';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CREDENTIAL_TYPES,
  OAUTH_PROVIDERS,
  SERVICE_CATEGORIES,
  credentialFieldsFor,
  credentialFieldsSchema,
  getService,
  injectionFor,
  listServices,
  secretFieldsSchema,
  servicesForType,
} from './catalog';

const injection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('header'), header: z.string().regex(/^[A-Za-z0-9-]+$/), scheme: z.string().optional(), field: z.string().optional() }).strict(),
  z.object({ kind: z.literal('query'), param: z.string().min(1), field: z.string().optional() }).strict(),
  z.object({ kind: z.literal('basic'), usernameField: z.string().optional(), passwordField: z.string().optional() }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);

const field = z
  .object({
    name: z.string().regex(/^[a-z][A-Za-z]*$/),
    label: z.string().min(1),
    help: z.string().min(1),
    placeholder: z.string().optional(),
    secret: z.boolean(),
    optional: z.boolean().optional(),
    input: z.enum(['text', 'textarea', 'file', 'email', 'number']).optional(),
    accept: z.string().optional(),
    envVar: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    format: z.object({ pattern: z.instanceof(RegExp), message: z.string().min(10) }).strict().optional(),
  })
  .strict();

const fieldsAuth = z.object({ fields: z.array(field).min(1), injection }).strict();

const entry = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    displayName: z.string().min(1),
    category: z.enum(SERVICE_CATEGORIES),
    logo: z.discriminatedUnion('source', [
      z.object({ source: z.literal('simple-icons'), slug: z.string(), path: z.string().min(10), hex: z.string().regex(/^[0-9A-F]{6}$/i) }).strict(),
      z.object({ source: z.literal('file'), src: z.string().regex(/^\/logos\/[a-z0-9-]+\.svg$/), hex: z.string().regex(/^[0-9A-F]{6}$/i) }).strict(),
    ]),
    auth: z
      .object({
        oauth: z.object({ oauthProvider: z.enum(OAUTH_PROVIDERS), scopes: z.array(z.string()), injection }).strict().optional(),
        api_key: fieldsAuth.optional(),
        password: fieldsAuth.optional(),
        file: fieldsAuth.optional(),
      })
      .strict(),
    credentialTypes: z.array(z.enum(CREDENTIAL_TYPES)).min(1),
    apiBaseUrl: z.url({ protocol: /^https$/ }).optional(),
    envVar: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    envVarAliases: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).min(1).optional(),
    baseUrlEnv: z.object({ name: z.string().regex(/^[A-Z][A-Z0-9_]*_BASE_URL$/), path: z.string().regex(/^(\/[A-Za-z0-9._-]+)*$/) }).strict().optional(),
    docsUrl: z.url({ protocol: /^https$/ }).optional(),
    injectionConfigurable: z.boolean().optional(),
  })
  .strict();

describe('service catalog', () => {
  it('every entry is well-formed', () => {
    for (const service of listServices()) {
      const parsed = entry.safeParse(service);
      expect(parsed.error?.issues ?? [], service.id).toEqual([]);
      for (const type of service.credentialTypes) {
        const names = credentialFieldsFor(service.id, type).map((f) => f.name);
        expect(new Set(names).size, `${service.id}/${type} field names are unique`).toBe(names.length);
        const inj = injectionFor(service.id, type);
        if (inj.kind === 'basic') {
          expect(names).toContain(inj.usernameField ?? 'username');
          expect(names).toContain(inj.passwordField ?? 'password');
        }
      }
    }
  });

  it('has at least 25 services plus custom, with unique ids', () => {
    const ids = listServices().map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id !== 'custom').length).toBeGreaterThanOrEqual(25);
    expect(ids).toContain('custom');
    expect(getService('custom')!.credentialTypes).toEqual(['oauth', 'api_key', 'password', 'file']);
  });

  it('every logo resolves to a simple-icons brand or a file in public/logos', () => {
    const icons = Object.values(simpleIcons) as Array<{ slug?: string; path?: string; hex?: string }>;
    for (const service of listServices()) {
      const logo = service.logo;
      if (logo.source === 'simple-icons') {
        const icon = icons.find((i) => i.slug === logo.slug);
        expect(icon, service.id).toBeDefined();
        expect(icon!.path).toBe(logo.path);
      } else {
        const file = path.resolve('public', logo.src.slice(1));
        expect(fs.existsSync(file), file).toBe(true);
        expect(fs.readFileSync(file, 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 24 24"/);
      }
    }
  });

  it('servicesForType lists only services supporting that type', () => {
    const files = servicesForType('file').map((s) => s.id);
    expect(files).toEqual(expect.arrayContaining(['gcp', 'custom']));
    expect(files).not.toContain('openai');
    expect(servicesForType('oauth').map((s) => s.id)).toEqual(
      expect.arrayContaining(['github', 'google', 'slack', 'microsoft', 'salesforce', 'atlassian']),
    );
    expect(servicesForType('password').map((s) => s.id)).toEqual(expect.arrayContaining(['smtp', 'postgresql']));
  });

  it('credentialFieldsFor refuses a type the service does not support', () => {
    expect(() => credentialFieldsFor('openai', 'oauth')).toThrow(/does not support/);
    expect(() => credentialFieldsFor('nope', 'api_key')).toThrow(/Unknown service/);
    expect(credentialFieldsFor('github', 'oauth')).toEqual([]);
  });

  it('OAuth services name their provider and default scopes', () => {
    expect(getService('github').auth.oauth).toMatchObject({ oauthProvider: 'github', scopes: ['repo', 'read:user'] });
    expect(getService('microsoft').auth.oauth?.scopes).toContain('offline_access');
  });
});

const good: Array<[string, string]> = [
  ['anthropic', 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc'],
  ['github', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
  ['github', 'github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV'],
  ['github', 'gho_16C7e42F292c6912E7710c838347Ae178B4a'],
  ['slack', 'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
  ['slack', 'xapp-1-A0123456789-1234567890123-abcdef0123456789'],
  ['slack', 'xoxp-1234567890-1234567890-1234567890123-abcdef'],
  ['openai', 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['openai', 'sk-AbCdEfGhIjKlMnOpQrStT3BlbkFJabcdefghijklmnop'],
  ['stripe', 'sk_live_51HqLyjWDarjtT1zdp7dcXDMkKy'],
  ['stripe', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'],
  ['stripe', 'rk_live_51HqLyjWDarjtT1zdp7dcXDMkKy'],
  ['stripe', 'rk_test_51HqLyjWDarjtT1zdp7dcXDMkKy'],
  ['openrouter', 'sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef'],
  ['groq', 'gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['xai', 'xai-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['sentry', 'sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_AbCdEfGhIjKlMnOp'],
  ['sentry', 'sntryu_0123456789abcdef0123456789abcdef0123456789abcdef'],
  ['sendgrid', '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'],
  ['linear', 'lin_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['notion', 'secret_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg'],
  ['notion', 'ntn_123456789012AbCdEfGhIjKlMnOpQrStUvWxYz01234'],
  ['gemini', 'AIzaSyA-1234567890abcdefghijklmnopqrstu'],
  ['mistral', 'AbCdEfGhIjKlMnOpQrStUvWxYz012345'],
  ['gitlab', 'glpat-AbCdEfGhIjKlMnOpQrSt'],
  ['hubspot', 'pat-na1-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d'],
];

const bad: Array<[string, string, string]> = [
  ['anthropic', 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'Anthropic API keys start with sk-ant-'],
  ['github', 'gh_16C7e42F292c6912E7710c838347Ae178B4a', 'GitHub tokens start with ghp_ or github_pat_'],
  ['slack', 'xoxa-1234567890-1234567890123-AbCdEfGhIjKl', 'Slack tokens start with xoxb-, xapp- or xoxp-'],
  ['openai', 'pk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'OpenAI API keys start with sk-'],
  ['stripe', 'pk_live_51HqLyjWDarjtT1zdp7dcXDMkKy', 'Stripe keys start with sk_live_, sk_test_, rk_live_ or rk_test_'],
  ['openrouter', 'sk-ant-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'OpenRouter API keys start with sk-or-'],
  ['groq', 'gsk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'Groq API keys start with gsk_'],
  ['xai', 'xai_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'xAI API keys start with xai-'],
  ['sentry', 'sntry_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'Sentry tokens start with sntrys_ or sntryu_'],
  ['sendgrid', 'SG-ngeVfQFYQlKU0ufo8x5d1A.TwL2iGABf9DHoTf', 'SendGrid API keys start with SG. and have three parts separated by dots'],
  ['linear', 'lin_oauth_AbCdEfGhIjKlMnOpQrStUvWxYz0123', 'Linear API keys start with lin_api_'],
  ['notion', 'ntn-123456789012AbCdEfGhIjKlMnOp', 'Notion integration secrets start with ntn_ or secret_'],
  ['gemini', 'AIzaShort', 'Gemini API keys start with AIza and are 39 characters long'],
  ['github', 'ghp_ has spaces in it 1234567890', 'GitHub tokens start with ghp_ or github_pat_'],
];

describe('format checks', () => {
  it.each(good)('%s accepts a real-shaped key (%s)', (service, key) => {
    const result = secretFieldsSchema(service, 'api_key').safeParse({ key: `  ${key}\n` });
    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data).toEqual({ key });
  });

  it.each(bad)('%s rejects %s with a field-level message', (service, key, message) => {
    const result = secretFieldsSchema(service, 'api_key').safeParse({ key });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual([expect.objectContaining({ path: ['key'], message })]);
  });

  it('a missing secret is reported as required on its field', () => {
    const result = secretFieldsSchema('openai', 'api_key').safeParse({});
    expect(result.error!.issues).toEqual([expect.objectContaining({ path: ['key'], message: 'API key is required' })]);
    const blank = secretFieldsSchema('openai', 'api_key').safeParse({ key: '   ' });
    expect(blank.error!.issues[0]).toMatchObject({ path: ['key'], message: 'API key is required' });
  });

  it('Twilio validates the account SID and auth token separately', () => {
    const schema = credentialFieldsSchema('twilio', 'api_key');
    expect(schema.safeParse({ accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: '0123456789abcdef0123456789abcdef' }).success).toBe(true);
    const wrong = schema.safeParse({ accountSid: 'SK0123456789abcdef0123456789abcdef', authToken: 'short' });
    expect(wrong.error!.issues.map((i) => i.path[0]).sort()).toEqual(['accountSid', 'authToken']);
    expect(Object.keys(secretFieldsSchema('twilio', 'api_key').shape)).toEqual(['authToken']);
  });

  it('AWS accepts a real-shaped key pair and an optional region', () => {
    const schema = credentialFieldsSchema('aws', 'api_key');
    const ok = schema.safeParse({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: '' });
    expect(ok.data).toEqual({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    expect(schema.safeParse({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'short', region: 'moon' }).error!.issues.map((i) => i.path[0])).toEqual([
      'secretAccessKey',
      'region',
    ]);
  });

  it('PostgreSQL allows an empty password but needs a host and a numeric port', () => {
    const schema = credentialFieldsSchema('postgresql', 'password');
    expect(schema.safeParse({ host: 'db.example.com', port: '5432', username: 'agent', password: '' }).success).toBe(true);
    const wrong = schema.safeParse({ host: '', port: 'fifty', username: 'agent' });
    expect(wrong.error!.issues).toEqual([
      expect.objectContaining({ path: ['host'], message: 'Host is required' }),
      expect.objectContaining({ path: ['port'], message: 'Enter a port number such as 5432' }),
    ]);
  });

  it('custom API keys accept any non-empty secret', () => {
    expect(secretFieldsSchema('custom', 'api_key').safeParse({ key: 'anything-goes' }).success).toBe(true);
  });
});
