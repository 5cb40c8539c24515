// The service catalog: every service Latchkey knows, described as data (fields, format checks, injection, logo).
//
// Like Nango's provider catalog, adding a service means adding one entry below; the forms, the
// proxy and the agent API interpret these entries and never branch on a service id.
import {
  siAnthropic,
  siAtlassian,
  siDiscord,
  siGithub,
  siGitlab,
  siGoogle,
  siGooglecloud,
  siGooglegemini,
  siHubspot,
  siLinear,
  siMistralai,
  siNotion,
  siOpenrouter,
  siPostgresql,
  siSentry,
  siStripe,
  type SimpleIcon,
} from 'simple-icons';
import { z } from 'zod';
import type { CredentialType } from '~/generated/prisma/enums';

export type { CredentialType };
export const CREDENTIAL_TYPES = ['oauth', 'api_key', 'password', 'file'] as const satisfies readonly CredentialType[];

export const OAUTH_PROVIDERS = [
  'github',
  'google',
  'slack',
  'discord',
  'microsoft',
  'linear',
  'notion',
  'gitlab',
  'atlassian',
  'salesforce',
  'custom',
] as const;
export type OAuthProviderId = (typeof OAUTH_PROVIDERS)[number];

export const SERVICE_CATEGORIES = ['ai', 'developer', 'productivity', 'communication', 'payments', 'cloud', 'crm', 'database', 'other'] as const;
export type ServiceCategory = (typeof SERVICE_CATEGORIES)[number];

/** How the proxy puts a credential into an outgoing request. */
export type Injection =
  | { readonly kind: 'header'; readonly header: string; readonly scheme?: string; readonly field?: string }
  | { readonly kind: 'query'; readonly param: string; readonly field?: string }
  /** HTTP Basic from two fields (defaults: username / password). */
  | { readonly kind: 'basic'; readonly usernameField?: string; readonly passwordField?: string }
  /** Not injectable into an HTTP request (files, SMTP, databases, AWS SigV4). */
  | { readonly kind: 'none' };

export interface FormatCheck {
  readonly pattern: RegExp;
  readonly message: string;
}

export interface FieldSpec {
  /** Key of the field in forms and in the vault (the name bound as associated data). */
  readonly name: string;
  readonly label: string;
  readonly help: string;
  readonly placeholder?: string;
  readonly secret: boolean;
  readonly optional?: boolean;
  readonly input?: 'text' | 'textarea' | 'file' | 'email' | 'number';
  /** For file inputs: the accept attribute. */
  readonly accept?: string;
  /** Environment variable an agent would read this field from, when it differs per field. */
  readonly envVar?: string;
  readonly format?: FormatCheck;
}

export interface OAuthAuthSpec {
  readonly oauthProvider: OAuthProviderId;
  readonly scopes: readonly string[];
  readonly injection: Injection;
}

export interface FieldsAuthSpec {
  readonly fields: readonly FieldSpec[];
  readonly injection: Injection;
}

export type SimpleIconLogo = { readonly source: 'simple-icons'; readonly slug: string; readonly path: string; readonly hex: string };
export type FileLogo = { readonly source: 'file'; readonly src: `/logos/${string}.svg`; readonly hex: string };
export type ServiceLogoSpec = SimpleIconLogo | FileLogo;

export interface ServiceEntry {
  readonly id: string;
  readonly displayName: string;
  readonly category: ServiceCategory;
  readonly logo: ServiceLogoSpec;
  /** One entry per supported credential type. */
  readonly auth: {
    readonly oauth?: OAuthAuthSpec;
    readonly api_key?: FieldsAuthSpec;
    readonly password?: FieldsAuthSpec;
    readonly file?: FieldsAuthSpec;
  };
  readonly apiBaseUrl?: string;
  readonly envVar?: string;
  /** Other variables programs read the same secret from (GitHub's CLI reads GH_TOKEN). */
  readonly envVarAliases?: readonly string[];
  /**
   * The variable an SDK reads its base URL from, pointed at the proxy by `latchkey run --proxy`, and the path
   * its value ends with beyond the proxy path (the SDK's default base URL minus apiBaseUrl).
   */
  readonly baseUrlEnv?: { readonly name: string; readonly path: string };
  readonly docsUrl?: string;
  /** Custom services let the person choose the injection (header name, scheme, query parameter). */
  readonly injectionConfigurable?: boolean;
}

function si(icon: SimpleIcon): SimpleIconLogo {
  return { source: 'simple-icons', slug: icon.slug, path: icon.path, hex: icon.hex };
}

function fileLogo(id: string, hex: string): FileLogo {
  return { source: 'file', src: `/logos/${id}.svg`, hex };
}

const bearer = { kind: 'header', header: 'Authorization', scheme: 'Bearer' } as const;
const none = { kind: 'none' } as const;

/** The usual single secret of an API-key service. */
function apiKeyField(label: string, help: string, placeholder: string, format?: FormatCheck): FieldSpec {
  return { name: 'key', label, help, placeholder, secret: true, format };
}

function prefixed(prefixes: readonly string[], body: string, message: string): FormatCheck {
  const alternatives = prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return { pattern: new RegExp(`^(?:${alternatives})${body}$`), message };
}

const usernamePasswordFields: readonly FieldSpec[] = [
  { name: 'username', label: 'Username', help: 'The account name to sign in with.', secret: false },
  { name: 'password', label: 'Password', help: 'Stored encrypted; never shown again.', secret: true },
];

const catalog = [
  {
    id: 'github',
    displayName: 'GitHub',
    category: 'developer',
    logo: si(siGithub),
    auth: {
      oauth: { oauthProvider: 'github', scopes: ['repo', 'read:user'], injection: bearer },
      api_key: {
        fields: [
          apiKeyField(
            'Personal access token',
            'Create a fine-grained token under Settings → Developer settings → Personal access tokens.',
            'github_pat_…',
            prefixed(['ghp_', 'github_pat_', 'gho_', 'ghu_', 'ghs_'], '[A-Za-z0-9_]{20,}', 'GitHub tokens start with ghp_ or github_pat_'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.github.com',
    envVar: 'GITHUB_TOKEN',
    envVarAliases: ['GH_TOKEN'],
    docsUrl: 'https://github.com/settings/tokens',
  },
  {
    id: 'google',
    displayName: 'Google',
    category: 'productivity',
    logo: si(siGoogle),
    auth: {
      oauth: { oauthProvider: 'google', scopes: ['openid', 'email', 'profile'], injection: bearer },
      api_key: {
        fields: [
          apiKeyField(
            'API key',
            'Create an API key in Google Cloud console → APIs & Services → Credentials.',
            'AIza…',
            prefixed(['AIza'], '[0-9A-Za-z_-]{35}', 'Google API keys start with AIza and are 39 characters long'),
          ),
        ],
        injection: { kind: 'query', param: 'key' },
      },
    },
    apiBaseUrl: 'https://www.googleapis.com',
    envVar: 'GOOGLE_API_KEY',
    docsUrl: 'https://console.cloud.google.com/apis/credentials',
  },
  {
    id: 'slack',
    displayName: 'Slack',
    category: 'communication',
    logo: fileLogo('slack', '4A154B'),
    auth: {
      oauth: { oauthProvider: 'slack', scopes: ['channels:read', 'chat:write', 'users:read'], injection: bearer },
      api_key: {
        fields: [
          apiKeyField(
            'Bot or app token',
            'From your Slack app: OAuth & Permissions (xoxb-) or Basic Information → App-Level Tokens (xapp-).',
            'xoxb-…',
            prefixed(['xoxb-', 'xapp-', 'xoxp-'], '[A-Za-z0-9-]{10,}', 'Slack tokens start with xoxb-, xapp- or xoxp-'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://slack.com/api',
    envVar: 'SLACK_BOT_TOKEN',
    docsUrl: 'https://api.slack.com/apps',
  },
  {
    id: 'discord',
    displayName: 'Discord',
    category: 'communication',
    logo: si(siDiscord),
    auth: {
      oauth: { oauthProvider: 'discord', scopes: ['identify', 'guilds'], injection: bearer },
      api_key: {
        fields: [
          apiKeyField('Bot token', 'Developer Portal → your application → Bot → Reset Token.', 'MTA…', {
            pattern: /^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$/,
            message: 'Discord bot tokens have three parts separated by dots',
          }),
        ],
        injection: { kind: 'header', header: 'Authorization', scheme: 'Bot' },
      },
    },
    apiBaseUrl: 'https://discord.com/api/v10',
    envVar: 'DISCORD_BOT_TOKEN',
    docsUrl: 'https://discord.com/developers/applications',
  },
  {
    id: 'linear',
    displayName: 'Linear',
    category: 'productivity',
    logo: si(siLinear),
    auth: {
      oauth: { oauthProvider: 'linear', scopes: ['read', 'write'], injection: bearer },
      api_key: {
        fields: [
          apiKeyField(
            'API key',
            'Settings → Security & access → Personal API keys.',
            'lin_api_…',
            prefixed(['lin_api_'], '[A-Za-z0-9]{20,}', 'Linear API keys start with lin_api_'),
          ),
        ],
        // Linear personal keys go in Authorization without a scheme.
        injection: { kind: 'header', header: 'Authorization' },
      },
    },
    apiBaseUrl: 'https://api.linear.app',
    envVar: 'LINEAR_API_KEY',
    docsUrl: 'https://linear.app/settings/account/security',
  },
  {
    id: 'notion',
    displayName: 'Notion',
    category: 'productivity',
    logo: si(siNotion),
    auth: {
      oauth: { oauthProvider: 'notion', scopes: [], injection: bearer },
      api_key: {
        fields: [
          apiKeyField(
            'Integration secret',
            'Create an internal integration under Settings → Connections → Develop or manage integrations.',
            'ntn_…',
            prefixed(['secret_', 'ntn_'], '[A-Za-z0-9]{20,}', 'Notion integration secrets start with ntn_ or secret_'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.notion.com/v1',
    envVar: 'NOTION_API_KEY',
    docsUrl: 'https://www.notion.so/profile/integrations',
  },
  {
    id: 'stripe',
    displayName: 'Stripe',
    category: 'payments',
    logo: si(siStripe),
    auth: {
      api_key: {
        fields: [
          apiKeyField(
            'Secret or restricted key',
            'Dashboard → Developers → API keys. Prefer a restricted key with only the permissions the agent needs.',
            'rk_live_…',
            prefixed(['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'], '[A-Za-z0-9]{10,}', 'Stripe keys start with sk_live_, sk_test_, rk_live_ or rk_test_'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.stripe.com',
    envVar: 'STRIPE_API_KEY',
    docsUrl: 'https://dashboard.stripe.com/apikeys',
  },
  {
    id: 'openai',
    displayName: 'OpenAI',
    category: 'ai',
    logo: fileLogo('openai', '10A37F'),
    auth: {
      api_key: {
        fields: [
          apiKeyField(
            'API key',
            'platform.openai.com → API keys. Project keys start with sk-proj-.',
            'sk-proj-…',
            prefixed(['sk-'], '[A-Za-z0-9_-]{20,}', 'OpenAI API keys start with sk-'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.openai.com/v1',
    envVar: 'OPENAI_API_KEY',
    baseUrlEnv: { name: 'OPENAI_BASE_URL', path: '' },
    docsUrl: 'https://platform.openai.com/api-keys',
  },
  {
    id: 'anthropic',
    displayName: 'Anthropic',
    category: 'ai',
    logo: si(siAnthropic),
    auth: {
      api_key: {
        fields: [
          apiKeyField(
            'API key',
            'Anthropic Console → Settings → API keys.',
            'sk-ant-api03-…',
            prefixed(['sk-ant-'], '[A-Za-z0-9_-]{20,}', 'Anthropic API keys start with sk-ant-'),
          ),
        ],
        injection: { kind: 'header', header: 'x-api-key' },
      },
    },
    apiBaseUrl: 'https://api.anthropic.com',
    envVar: 'ANTHROPIC_API_KEY',
    baseUrlEnv: { name: 'ANTHROPIC_BASE_URL', path: '' },
    docsUrl: 'https://console.anthropic.com/settings/keys',
  },
  {
    id: 'openrouter',
    displayName: 'OpenRouter',
    category: 'ai',
    logo: si(siOpenrouter),
    auth: {
      api_key: {
        fields: [
          apiKeyField(
            'API key',
            'openrouter.ai → Keys. Set a credit limit on keys agents use.',
            'sk-or-v1-…',
            prefixed(['sk-or-'], '[A-Za-z0-9_-]{20,}', 'OpenRouter API keys start with sk-or-'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://openrouter.ai/api/v1',
    envVar: 'OPENROUTER_API_KEY',
    docsUrl: 'https://openrouter.ai/keys',
  },
  {
    id: 'groq',
    displayName: 'Groq',
    category: 'ai',
    logo: fileLogo('groq', 'F55036'),
    auth: {
      api_key: {
        fields: [
          apiKeyField('API key', 'console.groq.com → API Keys.', 'gsk_…', prefixed(['gsk_'], '[A-Za-z0-9]{20,}', 'Groq API keys start with gsk_')),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.groq.com/openai/v1',
    envVar: 'GROQ_API_KEY',
    docsUrl: 'https://console.groq.com/keys',
  },
  {
    id: 'mistral',
    displayName: 'Mistral AI',
    category: 'ai',
    logo: si(siMistralai),
    auth: {
      api_key: {
        fields: [
          apiKeyField('API key', 'console.mistral.ai → API Keys.', '32 letters and digits', {
            pattern: /^[A-Za-z0-9]{32}$/,
            message: 'Mistral API keys are 32 letters and digits',
          }),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.mistral.ai/v1',
    envVar: 'MISTRAL_API_KEY',
    baseUrlEnv: { name: 'MISTRAL_BASE_URL', path: '' },
    docsUrl: 'https://console.mistral.ai/api-keys',
  },
  {
    id: 'gemini',
    displayName: 'Google Gemini',
    category: 'ai',
    logo: si(siGooglegemini),
    auth: {
      api_key: {
        fields: [
          apiKeyField(
            'API key',
            'Google AI Studio → Get API key.',
            'AIza…',
            prefixed(['AIza'], '[0-9A-Za-z_-]{35}', 'Gemini API keys start with AIza and are 39 characters long'),
          ),
        ],
        injection: { kind: 'query', param: 'key' },
      },
    },
    apiBaseUrl: 'https://generativelanguage.googleapis.com',
    envVar: 'GEMINI_API_KEY',
    docsUrl: 'https://aistudio.google.com/app/apikey',
  },
  {
    id: 'xai',
    displayName: 'xAI',
    category: 'ai',
    logo: fileLogo('xai', '000000'),
    auth: {
      api_key: {
        fields: [apiKeyField('API key', 'console.x.ai → API Keys.', 'xai-…', prefixed(['xai-'], '[A-Za-z0-9]{20,}', 'xAI API keys start with xai-'))],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.x.ai/v1',
    envVar: 'XAI_API_KEY',
    docsUrl: 'https://console.x.ai',
  },
  {
    id: 'sentry',
    displayName: 'Sentry',
    category: 'developer',
    logo: si(siSentry),
    auth: {
      api_key: {
        fields: [
          apiKeyField(
            'Auth token',
            'Organization auth token (sntrys_) from Settings → Auth Tokens, or a personal token (sntryu_).',
            'sntrys_…',
            prefixed(['sntrys_', 'sntryu_'], '[A-Za-z0-9_+/=.-]{20,}', 'Sentry tokens start with sntrys_ or sntryu_'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://sentry.io/api/0',
    envVar: 'SENTRY_AUTH_TOKEN',
    docsUrl: 'https://sentry.io/settings/account/api/auth-tokens/',
  },
  {
    id: 'twilio',
    displayName: 'Twilio',
    category: 'communication',
    logo: fileLogo('twilio', 'F22F46'),
    auth: {
      api_key: {
        fields: [
          {
            name: 'accountSid',
            label: 'Account SID',
            help: 'Shown on the Twilio Console dashboard.',
            placeholder: 'AC…',
            secret: false,
            envVar: 'TWILIO_ACCOUNT_SID',
            format: { pattern: /^AC[0-9a-fA-F]{32}$/, message: 'Twilio Account SIDs start with AC followed by 32 hex digits' },
          },
          {
            name: 'authToken',
            label: 'Auth token',
            help: 'Shown on the Twilio Console dashboard next to the Account SID.',
            placeholder: '32 hex digits',
            secret: true,
            envVar: 'TWILIO_AUTH_TOKEN',
            format: { pattern: /^[0-9a-fA-F]{32}$/, message: 'Twilio auth tokens are 32 hex digits' },
          },
        ],
        injection: { kind: 'basic', usernameField: 'accountSid', passwordField: 'authToken' },
      },
    },
    apiBaseUrl: 'https://api.twilio.com',
    envVar: 'TWILIO_AUTH_TOKEN',
    docsUrl: 'https://console.twilio.com',
  },
  {
    id: 'sendgrid',
    displayName: 'SendGrid',
    category: 'communication',
    logo: fileLogo('sendgrid', '1A82E2'),
    auth: {
      api_key: {
        fields: [
          apiKeyField('API key', 'Settings → API Keys. Give it only Mail Send access if that is all the agent needs.', 'SG.…', {
            pattern: /^SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}$/,
            message: 'SendGrid API keys start with SG. and have three parts separated by dots',
          }),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.sendgrid.com/v3',
    envVar: 'SENDGRID_API_KEY',
    docsUrl: 'https://app.sendgrid.com/settings/api_keys',
  },
  {
    id: 'aws',
    displayName: 'AWS',
    category: 'cloud',
    logo: fileLogo('aws', '232F3E'),
    auth: {
      api_key: {
        fields: [
          {
            name: 'accessKeyId',
            label: 'Access key ID',
            help: 'IAM → Users → Security credentials → Create access key.',
            placeholder: 'AKIA…',
            secret: false,
            envVar: 'AWS_ACCESS_KEY_ID',
            format: { pattern: /^(?:AKIA|ASIA)[A-Z0-9]{16}$/, message: 'AWS access key IDs start with AKIA or ASIA and are 20 characters long' },
          },
          {
            name: 'secretAccessKey',
            label: 'Secret access key',
            help: 'Shown once, when the access key is created.',
            placeholder: '40 characters',
            secret: true,
            envVar: 'AWS_SECRET_ACCESS_KEY',
            format: { pattern: /^[A-Za-z0-9/+]{40}$/, message: 'AWS secret access keys are 40 characters long' },
          },
          {
            name: 'region',
            label: 'Default region',
            help: 'Optional, for example us-east-1.',
            placeholder: 'us-east-1',
            secret: false,
            optional: true,
            envVar: 'AWS_REGION',
            format: { pattern: /^[a-z]{2}(?:-[a-z]+)+-\d$/, message: 'AWS regions look like us-east-1' },
          },
        ],
        // AWS signs each request (SigV4); a static header cannot carry it.
        injection: none,
      },
    },
    envVar: 'AWS_SECRET_ACCESS_KEY',
    docsUrl: 'https://console.aws.amazon.com/iam/home#/security_credentials',
  },
  {
    id: 'gcp',
    displayName: 'Google Cloud service account',
    category: 'cloud',
    logo: si(siGooglecloud),
    auth: {
      file: {
        fields: [
          {
            name: 'file',
            label: 'Service account key (JSON)',
            help: 'IAM & Admin → Service accounts → Keys → Add key → JSON.',
            secret: true,
            input: 'file',
            accept: 'application/json,.json',
          },
        ],
        injection: none,
      },
    },
    envVar: 'GOOGLE_APPLICATION_CREDENTIALS',
    docsUrl: 'https://console.cloud.google.com/iam-admin/serviceaccounts',
  },
  {
    id: 'smtp',
    displayName: 'SMTP',
    category: 'communication',
    logo: fileLogo('smtp', '475569'),
    auth: {
      password: {
        fields: [
          { name: 'host', label: 'Host', help: 'The mail server, for example smtp.example.com.', placeholder: 'smtp.example.com', secret: false, envVar: 'SMTP_HOST', format: { pattern: /^[A-Za-z0-9.-]+$/, message: 'Enter a host name such as smtp.example.com' } },
          { name: 'port', label: 'Port', help: '587 (STARTTLS) or 465 (TLS).', placeholder: '587', secret: false, input: 'number', envVar: 'SMTP_PORT', format: { pattern: /^\d{1,5}$/, message: 'Enter a port number such as 587' } },
          { name: 'username', label: 'Username', help: 'Usually the sending address.', secret: false, envVar: 'SMTP_USER' },
          { name: 'password', label: 'Password', help: 'Stored encrypted; never shown again.', secret: true, envVar: 'SMTP_PASSWORD' },
        ],
        injection: none,
      },
    },
    envVar: 'SMTP_PASSWORD',
  },
  {
    id: 'postgresql',
    displayName: 'PostgreSQL',
    category: 'database',
    logo: si(siPostgresql),
    auth: {
      password: {
        fields: [
          { name: 'host', label: 'Host', help: 'Database server host name or address.', placeholder: 'db.example.com', secret: false, envVar: 'PGHOST', format: { pattern: /^[A-Za-z0-9.:_-]+$/, message: 'Enter a host name such as db.example.com' } },
          { name: 'port', label: 'Port', help: 'Usually 5432.', placeholder: '5432', secret: false, input: 'number', envVar: 'PGPORT', format: { pattern: /^\d{1,5}$/, message: 'Enter a port number such as 5432' } },
          { name: 'database', label: 'Database', help: 'The database to connect to.', secret: false, optional: true, envVar: 'PGDATABASE' },
          { name: 'username', label: 'User', help: 'A role with only the privileges the agent needs.', secret: false, envVar: 'PGUSER' },
          { name: 'password', label: 'Password', help: 'Leave empty for trust or certificate authentication.', secret: true, optional: true, envVar: 'PGPASSWORD' },
        ],
        injection: none,
      },
    },
    envVar: 'PGPASSWORD',
    docsUrl: 'https://www.postgresql.org/docs/current/libpq-envars.html',
  },
  {
    id: 'atlassian',
    displayName: 'Atlassian',
    category: 'productivity',
    logo: si(siAtlassian),
    auth: {
      oauth: { oauthProvider: 'atlassian', scopes: ['read:jira-work', 'read:jira-user', 'offline_access'], injection: bearer },
      api_key: {
        fields: [
          { name: 'username', label: 'Account email', help: 'The Atlassian account the token belongs to.', placeholder: 'you@example.com', secret: false, input: 'email', envVar: 'ATLASSIAN_EMAIL', format: { pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, message: 'Enter the email address of the Atlassian account' } },
          { name: 'key', label: 'API token', help: 'id.atlassian.com → Security → API tokens.', placeholder: 'ATATT…', secret: true, envVar: 'ATLASSIAN_API_TOKEN', format: { pattern: /^[A-Za-z0-9_=+-]{20,}$/, message: 'Atlassian API tokens are at least 20 letters and digits' } },
        ],
        injection: { kind: 'basic', usernameField: 'username', passwordField: 'key' },
      },
    },
    apiBaseUrl: 'https://api.atlassian.com',
    envVar: 'ATLASSIAN_API_TOKEN',
    docsUrl: 'https://id.atlassian.com/manage-profile/security/api-tokens',
  },
  {
    id: 'hubspot',
    displayName: 'HubSpot',
    category: 'crm',
    logo: si(siHubspot),
    auth: {
      api_key: {
        fields: [
          apiKeyField('Private app access token', 'Settings → Integrations → Private apps → your app → Auth.', 'pat-na1-…', {
            pattern: /^pat-[a-z0-9]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
            message: 'HubSpot private app tokens start with pat- followed by a region and an id',
          }),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://api.hubapi.com',
    envVar: 'HUBSPOT_ACCESS_TOKEN',
    docsUrl: 'https://developers.hubspot.com/docs/api/private-apps',
  },
  {
    id: 'salesforce',
    displayName: 'Salesforce',
    category: 'crm',
    logo: fileLogo('salesforce', '00A1E0'),
    auth: {
      oauth: { oauthProvider: 'salesforce', scopes: ['api', 'refresh_token'], injection: bearer },
    },
    envVar: 'SALESFORCE_ACCESS_TOKEN',
    docsUrl: 'https://help.salesforce.com/s/articleView?id=sf.connected_app_create.htm',
  },
  {
    id: 'microsoft',
    displayName: 'Microsoft',
    category: 'productivity',
    logo: fileLogo('microsoft', '0078D4'),
    auth: {
      oauth: { oauthProvider: 'microsoft', scopes: ['openid', 'profile', 'email', 'offline_access', 'User.Read'], injection: bearer },
    },
    apiBaseUrl: 'https://graph.microsoft.com/v1.0',
    envVar: 'MICROSOFT_ACCESS_TOKEN',
    docsUrl: 'https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade',
  },
  {
    id: 'gitlab',
    displayName: 'GitLab',
    category: 'developer',
    logo: si(siGitlab),
    auth: {
      oauth: { oauthProvider: 'gitlab', scopes: ['read_user', 'api'], injection: bearer },
      api_key: {
        fields: [
          apiKeyField(
            'Personal access token',
            'User settings → Access tokens.',
            'glpat-…',
            prefixed(['glpat-'], '[A-Za-z0-9_.-]{20,}', 'GitLab personal access tokens start with glpat-'),
          ),
        ],
        injection: bearer,
      },
    },
    apiBaseUrl: 'https://gitlab.com/api/v4',
    envVar: 'GITLAB_TOKEN',
    docsUrl: 'https://gitlab.com/-/user_settings/personal_access_tokens',
  },
  {
    id: 'custom',
    displayName: 'Custom',
    category: 'other',
    logo: fileLogo('custom', '64748B'),
    injectionConfigurable: true,
    auth: {
      oauth: { oauthProvider: 'custom', scopes: [], injection: bearer },
      api_key: {
        fields: [apiKeyField('Secret', 'The API key or token, exactly as the service issued it.', 'Paste the key')],
        injection: bearer,
      },
      password: { fields: usernamePasswordFields, injection: { kind: 'basic' } },
      file: {
        fields: [{ name: 'file', label: 'File', help: 'Any credential file, for example a key or certificate.', secret: true, input: 'file' }],
        injection: none,
      },
    },
  },
] as const satisfies readonly ServiceEntry[];

export type ServiceId = (typeof catalog)[number]['id'];

/** A catalog entry with the list of credential types it supports spelled out. */
export type ServiceDefinition = ServiceEntry & { readonly id: ServiceId; readonly credentialTypes: readonly CredentialType[] };

const definitions: readonly ServiceDefinition[] = catalog.map((entry) => ({
  ...(entry as ServiceEntry),
  id: entry.id,
  credentialTypes: CREDENTIAL_TYPES.filter((type) => (entry.auth as ServiceEntry['auth'])[type] !== undefined),
}));
const byId = new Map<string, ServiceDefinition>(definitions.map((d) => [d.id, d]));

export const SERVICE_IDS = catalog.map((entry) => entry.id) as readonly ServiceId[];

export function isServiceId(id: string): id is ServiceId {
  return byId.has(id);
}

export function getService(id: ServiceId): ServiceDefinition;
export function getService(id: string): ServiceDefinition | undefined;
export function getService(id: string): ServiceDefinition | undefined {
  return byId.get(id);
}

export function listServices(): readonly ServiceDefinition[] {
  return definitions;
}

export function servicesForType(type: CredentialType): readonly ServiceDefinition[] {
  return definitions.filter((d) => d.credentialTypes.includes(type));
}

/** The form fields of a service's credential type; OAuth has none (tokens come from the provider). */
export function credentialFieldsFor(serviceId: string, type: CredentialType): readonly FieldSpec[] {
  const service = byId.get(serviceId);
  if (!service) throw new Error(`Unknown service "${serviceId}"`);
  const spec = service.auth[type];
  if (!spec) throw new Error(`${service.displayName} does not support ${type} credentials`);
  return 'fields' in spec ? spec.fields : [];
}

/** How the proxy injects this service's credential of this type. */
export function injectionFor(serviceId: string, type: CredentialType): Injection {
  const spec = byId.get(serviceId)?.auth[type];
  if (!spec) throw new Error(`Service "${serviceId}" does not support ${type} credentials`);
  return spec.injection;
}

export function oauthSpecFor(serviceId: string): OAuthAuthSpec | undefined {
  return byId.get(serviceId)?.auth.oauth;
}

function fieldSchema(field: FieldSpec): z.ZodType<string | undefined> {
  const required = `${field.label} is required`;
  let value = z.string({ error: required }).trim();
  if (field.format) value = value.regex(field.format.pattern, field.format.message);
  if (field.optional) {
    // Empty inputs of optional fields mean "not given", not "invalid".
    return z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), value.optional());
  }
  return z.string({ error: required }).trim().min(1, required).pipe(value);
}

function schemaOver(fields: readonly FieldSpec[]) {
  const shape: Record<string, z.ZodType<string | undefined>> = {};
  for (const field of fields) {
    // File bytes arrive through the upload handler, not as a text field.
    if (field.input === 'file') continue;
    shape[field.name] = fieldSchema(field);
  }
  return z.object(shape);
}

/** Zod schema over a form's secret fields for a service and type, with field-level messages. */
export function secretFieldsSchema(serviceId: string, type: CredentialType) {
  return schemaOver(credentialFieldsFor(serviceId, type).filter((f) => f.secret));
}

/** Zod schema over every text field (secret and not) of a service's credential type. */
export function credentialFieldsSchema(serviceId: string, type: CredentialType) {
  return schemaOver(credentialFieldsFor(serviceId, type));
}
