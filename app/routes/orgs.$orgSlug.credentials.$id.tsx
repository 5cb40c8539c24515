// Credential detail: metadata by type, actions by type and role, and this credential's audit events.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { ArrowLeft, Download, Eye, Link2, Pencil, RefreshCw, Unplug, Upload } from 'lucide-react';
import { listAuditEvents } from '~/audit/audit.server';
import { ServiceLogo } from '~/components/ServiceLogo';
import { DeleteCredentialDialog } from '~/components/credentials/delete-dialog';
import { serviceName, TYPE_LABELS } from '~/components/credentials/labels';
import { RelativeTime } from '~/components/credentials/relative-time';
import { StatusBadge, statusReason } from '~/components/credentials/status-badge';
import { Tooltip } from '~/components/credentials/tooltip';
import { Button } from '~/components/ui/button';
import { Card } from '~/components/ui/card';
import { credentialActor } from '~/credentials/actor.server';
import { getCredential } from '~/credentials/credentials.server';
import { CredentialNotFoundError } from '~/credentials/errors';
import { prisma } from '~/db.server';
import { requireMembership } from '~/orgs/membership.server';
import { hasRole } from '~/orgs/roles';
import { notFound } from '~/utils/http.server';

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.credential.name} · Credentials · Latchkey` : 'Credential · Latchkey' },
];

const ACTIVITY_LIMIT = 50;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  let credential;
  try {
    credential = await getCredential(credentialActor(ctx, request, context), params.id ?? '');
  } catch (error) {
    // Unknown, malformed and other organizations' ids all answer the same 404.
    if (error instanceof CredentialNotFoundError) throw notFound();
    throw error;
  }
  const [createdBy, activity] = await Promise.all([
    credential.createdById
      ? prisma.user.findUnique({ where: { id: credential.createdById }, select: { name: true, email: true } })
      : null,
    listAuditEvents(ctx.organization.id, { credentialId: credential.id, limit: ACTIVITY_LIMIT }),
  ]);
  // Only what the page shows: no file metadata, no version counters, no hashes of the audit chain.
  return {
    slug: ctx.organization.slug,
    canManage: hasRole(ctx.membership.role, 'admin'),
    now: new Date(),
    credential: {
      id: credential.id,
      name: credential.name,
      service: credential.service,
      type: credential.type,
      description: credential.description,
      status: credential.status,
      statusReason: credential.statusReason,
      statusChangedAt: credential.statusChangedAt,
      expiresAt: credential.expiresAt,
      lastUsedAt: credential.lastUsedAt,
      lastRefreshedAt: credential.lastRefreshedAt,
      createdAt: credential.createdAt,
      updatedAt: credential.updatedAt,
      username: credential.username,
      fileName: credential.fileName,
      fileSize: credential.fileSize,
      fileKind: credential.fileKind,
      oauthProvider: credential.oauthProvider,
      oauthAccount: credential.oauthAccount,
      oauthScopes: credential.oauthScopes,
    },
    createdBy,
    activity: {
      events: activity.events.map((e) => ({
        id: e.id,
        createdAt: e.createdAt,
        action: e.action,
        actorType: e.actorType,
        actorLabel: e.actorLabel,
        ip: e.ip,
      })),
      more: activity.nextCursor !== null,
    },
  };
}

const FILE_KIND_LABELS: Record<string, string> = {
  gcp_service_account: 'Google Cloud service-account key',
  pem: 'PEM (certificate or key)',
  pkcs12: 'PKCS#12 bundle',
  json: 'JSON',
  text: 'Text',
  binary: 'Binary',
};

const ACTION_LABELS: Record<string, string> = {
  'credential.create': 'Created',
  'credential.update': 'Edited details',
  'credential.replace': 'Replaced the value',
  'credential.reveal': 'Revealed the value',
  'credential.download': 'Downloaded the file',
  'credential.delete': 'Deleted',
  'credential.use': 'Used by an agent',
  'credential.refresh': 'Refreshed tokens',
  'credential.refresh_failed': 'Token refresh failed',
  'credential.connect': 'Connected',
  'credential.disconnect': 'Disconnected',
  'credential.expired': 'Expired',
};

function actionLabel(action: string): string {
  if (ACTION_LABELS[action]) return ACTION_LABELS[action];
  const verb = action.split('.').pop() ?? action;
  return verb.charAt(0).toUpperCase() + verb.slice(1).replace(/_/g, ' ');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]} (${bytes.toLocaleString('en-US')} bytes)`;
}

function Field({ label, children, wide }: { label: string; children: React.ReactNode; wide?: boolean }) {
  return (
    <div className={wide ? 'sm:col-span-2' : undefined}>
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="mt-1 min-w-0 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

const OAUTH_PENDING = 'OAuth connections arrive with the OAuth issue';

function PendingOAuthButton({ icon: Icon, label }: { icon: typeof Link2; label: string }) {
  // A disabled button cannot take focus, so the wrapper carries the tooltip for keyboard users.
  return (
    <Tooltip content={OAUTH_PENDING}>
      <span tabIndex={0} className="inline-flex rounded-lg focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
        <Button variant="secondary" disabled aria-disabled="true" tabIndex={-1}>
          <Icon className="size-4" aria-hidden />
          {label}
          <span className="sr-only">: {OAUTH_PENDING}</span>
        </Button>
      </span>
    </Tooltip>
  );
}

export default function CredentialDetailPage() {
  const { slug, canManage, now, credential: c, createdBy, activity } = useLoaderData<typeof loader>();
  const base = `/orgs/${slug}/credentials/${c.id}`;
  const service = serviceName(c.service);

  const actions = (
    <div className="flex flex-wrap items-center gap-2">
      {c.type === 'oauth' ? (
        <>
          <PendingOAuthButton icon={c.status === 'active' ? Link2 : RefreshCw} label={c.oauthAccount ? 'Reconnect' : 'Connect'} />
          <PendingOAuthButton icon={Unplug} label="Disconnect" />
        </>
      ) : null}
      {canManage ? (
        <>
          {c.type === 'api_key' || c.type === 'password' ? (
            <>
              <Button variant="secondary" asChild>
                <Link to={`${base}/reveal`}>
                  <Eye className="size-4" aria-hidden />
                  Reveal
                </Link>
              </Button>
              <Button variant="secondary" asChild>
                <Link to={`${base}/replace`}>
                  <RefreshCw className="size-4" aria-hidden />
                  Replace value
                </Link>
              </Button>
            </>
          ) : null}
          {c.type === 'file' ? (
            <>
              <Button variant="secondary" asChild>
                <Link to={`${base}/reveal`}>
                  <Download className="size-4" aria-hidden />
                  Download
                </Link>
              </Button>
              <Button variant="secondary" asChild>
                <Link to={`${base}/replace`}>
                  <Upload className="size-4" aria-hidden />
                  Upload new file
                </Link>
              </Button>
            </>
          ) : null}
          <Button variant="secondary" asChild>
            <Link to={`${base}/edit`}>
              <Pencil className="size-4" aria-hidden />
              Edit
            </Link>
          </Button>
          <DeleteCredentialDialog name={c.name} action={`${base}/delete`} />
        </>
      ) : null}
    </div>
  );

  return (
    <div className="space-y-6">
      <Link
        to={`/orgs/${slug}/credentials`}
        className="inline-flex items-center gap-1.5 rounded-sm text-sm font-medium text-slate-500 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        <ArrowLeft className="size-4" aria-hidden />
        Credentials
      </Link>

      <header className="flex flex-col gap-4 border-b border-slate-200 pb-5 lg:flex-row lg:items-start lg:justify-between">
        <div className="flex min-w-0 items-start gap-4">
          <span className="flex size-12 shrink-0 items-center justify-center rounded-lg border border-slate-200 bg-white shadow-sm">
            <ServiceLogo service={c.service} name={service} size={26} />
          </span>
          <div className="min-w-0">
            <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
              <h1 className="min-w-0 text-xl font-semibold tracking-tight break-all text-slate-900">{c.name}</h1>
              <StatusBadge status={c.status} reason={c.statusReason} />
            </div>
            <p className="mt-1 text-sm text-slate-500">
              {TYPE_LABELS[c.type]} · {service}
            </p>
            {c.status !== 'active' ? (
              <p
                data-testid="status-reason"
                className={
                  c.status === 'needs_attention'
                    ? 'mt-2 text-sm text-amber-800'
                    : c.status === 'expired'
                      ? 'mt-2 text-sm text-red-700'
                      : 'mt-2 text-sm text-slate-600'
                }
              >
                {statusReason(c.status, c.statusReason)}
              </p>
            ) : null}
          </div>
        </div>
        {actions}
      </header>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="p-5 lg:col-span-2">
          <h2 className="text-sm font-semibold text-slate-900">Details</h2>
          <dl className="mt-4 grid gap-x-6 gap-y-5 sm:grid-cols-2">
            <Field label="Type">{TYPE_LABELS[c.type]}</Field>
            <Field label="Service">
              <span className="inline-flex items-center gap-2">
                <ServiceLogo service={c.service} name={service} size={16} />
                {service}
              </span>
            </Field>
            {c.description ? (
              <Field label="Description" wide>
                <span className="whitespace-pre-line">{c.description}</span>
              </Field>
            ) : null}
            {c.type === 'oauth' ? (
              <>
                <Field label="Account">{c.oauthAccount ?? <span className="text-slate-500">Not connected</span>}</Field>
                <Field label="Last refreshed">
                  <RelativeTime date={c.lastRefreshedAt} now={now} empty="Never" />
                </Field>
                <Field label="Scopes" wide>
                  {c.oauthScopes.length > 0 ? (
                    <ul className="flex flex-wrap gap-1.5" aria-label="Scopes">
                      {c.oauthScopes.map((scope) => (
                        <li
                          key={scope}
                          className="rounded-md bg-slate-100 px-2 py-0.5 font-mono text-xs text-slate-700 ring-1 ring-slate-200 ring-inset"
                        >
                          {scope}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="text-slate-500">None granted</span>
                  )}
                </Field>
              </>
            ) : null}
            {c.type === 'password' ? (
              <Field label="Username">
                <span className="font-mono">{c.username ?? '—'}</span>
              </Field>
            ) : null}
            {c.type === 'file' ? (
              <>
                <Field label="File name">
                  <span className="font-mono break-all">{c.fileName ?? '—'}</span>
                </Field>
                <Field label="Size">{c.fileSize != null ? formatBytes(c.fileSize) : '—'}</Field>
                <Field label="Detected kind">{c.fileKind ? (FILE_KIND_LABELS[c.fileKind] ?? c.fileKind) : '—'}</Field>
              </>
            ) : null}
            <Field label="Created by">
              {createdBy ? (
                <span>
                  {createdBy.name} <span className="text-slate-500">({createdBy.email})</span>
                </span>
              ) : (
                <span className="text-slate-500">Deleted user</span>
              )}
            </Field>
            <Field label="Created">
              <RelativeTime date={c.createdAt} now={now} />
            </Field>
            <Field label="Last used">
              <RelativeTime date={c.lastUsedAt} now={now} empty="Never" />
            </Field>
            <Field label="Expires">
              <RelativeTime date={c.expiresAt} now={now} empty="No expiry" />
            </Field>
          </dl>
        </Card>

        <Card className="p-5">
          <h2 className="text-sm font-semibold text-slate-900">Activity</h2>
          {activity.events.length === 0 ? (
            <p className="mt-4 text-sm text-slate-500">No activity recorded yet.</p>
          ) : (
            <ol className="mt-4 space-y-4" aria-label="Activity, newest first">
              {activity.events.map((event) => (
                <li key={event.id} className="relative flex gap-3">
                  <span className="mt-1.5 size-2 shrink-0 rounded-full bg-indigo-500" aria-hidden />
                  <div className="min-w-0 text-sm">
                    <p className="font-medium text-slate-900">{actionLabel(event.action)}</p>
                    <p className="truncate text-xs text-slate-500" title={event.actorLabel}>
                      {event.actorLabel}
                    </p>
                    <p className="text-xs text-slate-500">
                      <RelativeTime date={event.createdAt} now={now} />
                    </p>
                  </div>
                </li>
              ))}
            </ol>
          )}
          <Link
            to={`/orgs/${slug}/audit?credentialId=${c.id}`}
            className="mt-5 inline-block rounded-sm text-xs font-medium text-indigo-600 hover:text-indigo-500 focus-visible:outline-2 focus-visible:outline-indigo-600"
          >
            {activity.more ? 'See all activity in the audit log' : 'Open in the audit log'}
          </Link>
        </Card>
      </div>
    </div>
  );
}
