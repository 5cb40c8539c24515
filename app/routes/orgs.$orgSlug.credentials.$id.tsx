// Credential detail: metadata by type, actions by type and role, and this credential's audit events.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { ArrowLeft, Bot, ChevronRight, Download, Eye, Pencil, RefreshCw, Upload, type LucideIcon } from 'lucide-react';
import { agentsDependingOn } from '~/agents/agents.server';
import { listAuditEvents, type AuditEventView } from '~/audit/audit.server';
import { ServiceLogo } from '~/components/ServiceLogo';
import { ConnectionCard } from '~/components/credential-forms/connection-card';
import { ExactTime } from '~/components/credential-forms/time-zone';
import { DeleteCredentialDialog } from '~/components/credentials/delete-dialog';
import { serviceName, STATUS_ADVICE, STATUS_LABELS, TYPE_LABELS } from '~/components/credentials/labels';
import { RelativeTime } from '~/components/credentials/relative-time';
import { StatusBadge, StatusCallout } from '~/components/credentials/status-badge';
import { oauthDetailView } from '~/components/oauth/detail.server';
import { OAuthActions } from '~/components/oauth/oauth-actions';
import { Button } from '~/components/ui/button';
import { Badge, Card } from '~/components/ui/card';
import { credentialActor } from '~/credentials/actor.server';
import { credentialConnectionView } from '~/credentials/connection.server';
import { getCredential } from '~/credentials/credentials.server';
import { CredentialNotFoundError } from '~/credentials/errors';
import { readCredentialStatus } from '~/credentials/status.server';
import type { CredentialStatusValue } from '~/credentials/table-state';
import { prisma } from '~/db.server';
import { memberCan, requireMembership } from '~/orgs/membership.server';
import { LastUsed } from '~/usage/last-used';
import { lastUseByAgent } from '~/usage/last-used.server';
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
  const [createdBy, activity, agents] = await Promise.all([
    credential.createdById
      ? prisma.user.findUnique({ where: { id: credential.createdById }, select: { name: true, email: true } })
      : null,
    listAuditEvents(ctx.organization.id, { credentialId: credential.id, limit: ACTIVITY_LIMIT }),
    agentsDependingOn({ organizationId: ctx.organization.id, name: credential.name }),
  ]);
  // "Agents with access": each agent's use of this credential (ADR 005), not its use of anything.
  const usedBy = await lastUseByAgent(credential.id);
  const connection = await credentialConnectionView(credential);
  // OAuth: a true account line, the apps Reconnect can use, and what Disconnect and Delete do at the provider.
  const oauth = credential.type === 'oauth' ? await oauthDetailView({ ...credential, organizationId: ctx.organization.id }) : null;
  // The status read now (a key past its expiry is expired, an overdue token never active, before any sweep).
  const now = new Date();
  const status = (await readCredentialStatus(ctx.organization.id, credential.id, now)) ?? { status: credential.status, reason: credential.statusReason };
  // Only what the page shows: no file metadata, no version counters, no hashes of the audit chain.
  return {
    slug: ctx.organization.slug,
    // The role matrix for this credential ("own" for members), so the page offers only what works.
    may: {
      edit: memberCan(ctx, 'credential.edit', credential),
      replace: memberCan(ctx, 'credential.replace', credential),
      connect: memberCan(ctx, 'credential.connect', credential),
      delete: memberCan(ctx, 'credential.delete', credential),
      reveal: memberCan(ctx, 'credential.reveal', credential),
    },
    now,
    status: { value: status.status, reason: status.reason },
    connection,
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
    oauth,
    createdBy,
    agents: agents.map((a) => ({ ...a, lastUsedAt: usedBy.get(a.id) ?? null })),
    activity: {
      events: activity.events.map((e) => ({
        id: e.id,
        createdAt: e.createdAt,
        action: e.action,
        label: activityLabel(e),
        actorType: e.actorType,
        actorLabel: e.actorLabel,
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

/** Every action written for a credential (app/credentials, app/oauth, status changes), in words. */
const ACTION_LABELS: Record<string, string> = {
  'credential.create': 'Created',
  'credential.update': 'Edited details',
  'credential.base_url_change': 'Changed the base URL host',
  'credential.replace_secret': 'Replaced the value',
  'credential.reveal': 'Revealed the value',
  'credential.delete': 'Deleted',
  'credential.status_changed': 'Status changed',
  'credential.refresh_failed': 'Token refresh failed',
  'credential.connect': 'Connected',
  'credential.reconnect': 'Reconnected',
  'credential.disconnect': 'Disconnected',
  'credential.revoke': 'Tokens revoked at the provider',
};

function text(details: Record<string, unknown>, key: string): string | null {
  const value = details[key];
  return typeof value === 'string' && value.trim() ? value : null;
}

/** The event in words, refined by its (secret-free) details: the account connected, the new status, a file download. */
function activityLabel(event: Pick<AuditEventView, 'action' | 'details'>): string {
  const details = event.details && typeof event.details === 'object' && !Array.isArray(event.details) ? (event.details as Record<string, unknown>) : {};
  switch (event.action) {
    case 'credential.reveal':
      return text(details, 'fileName') ? 'Downloaded the file' : 'Revealed the value';
    case 'credential.replace_secret':
      return text(details, 'fileName') ? 'Uploaded a new file' : 'Replaced the value';
    case 'credential.connect':
    case 'credential.reconnect': {
      const account = text(details, 'account');
      return account ? `${ACTION_LABELS[event.action]} as ${account}` : ACTION_LABELS[event.action]!;
    }
    case 'credential.status_changed': {
      const to = text(details, 'to');
      return to && to in STATUS_LABELS ? `Status: ${STATUS_LABELS[to as CredentialStatusValue]}` : 'Status changed';
    }
    case 'credential.refresh_failed':
      return details.kind === 'transient' ? 'Token refresh failed; will retry' : 'Token refresh failed';
    case 'credential.base_url_change': {
      const to = text(details, 'toHost');
      return to ? `Base URL host changed to ${to}` : ACTION_LABELS[event.action]!;
    }
    case 'credential.revoke':
      return details.revokedAtProvider === false ? 'Revocation not confirmed by the provider' : 'Tokens revoked at the provider';
  }
  if (ACTION_LABELS[event.action]) return ACTION_LABELS[event.action]!;
  const verb = event.action.split('.').pop() ?? event.action;
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

export default function CredentialDetailPage() {
  const { slug, may, now, status, credential: c, createdBy, agents, oauth, activity, connection } = useLoaderData<typeof loader>();
  const base = `/orgs/${slug}/credentials/${c.id}`;
  const service = serviceName(c.service);

  const actions = (
    <div className="flex flex-wrap items-center gap-2">
      <OAuthActions
        credential={{ id: c.id, type: c.type, status: c.status }}
        canManage={may.connect}
        agents={agents}
        plan={oauth?.plan ?? null}
        apps={oauth?.apps ?? []}
        currentAppId={oauth?.currentAppId ?? null}
      />
      {c.type === 'api_key' || c.type === 'password' ? (
        <>
          {may.reveal ? <ActionLink to={`${base}/reveal`} icon={Eye} label="Reveal" /> : null}
          {may.replace ? <ActionLink to={`${base}/replace`} icon={RefreshCw} label="Replace value" /> : null}
        </>
      ) : null}
      {c.type === 'file' ? (
        <>
          {may.reveal ? <ActionLink to={`${base}/reveal`} icon={Download} label="Download" /> : null}
          {may.replace ? <ActionLink to={`${base}/replace`} icon={Upload} label="Upload new file" /> : null}
        </>
      ) : null}
      {may.edit ? <ActionLink to={`${base}/edit`} icon={Pencil} label="Edit" /> : null}
      {may.delete ? <DeleteCredentialDialog name={c.name} action={`${base}/delete`} agents={agents} revocation={oauth?.plan ?? null} /> : null}
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
              <StatusBadge status={status.value} reason={status.reason} expiresAt={c.expiresAt} now={now} />
            </div>
            <p className="mt-1 text-sm text-slate-500">
              {TYPE_LABELS[c.type]} · {service}
            </p>
          </div>
        </div>
        {actions}
      </header>
      {/* Below the header, full width: a long reason wraps here instead of running under the buttons. */}
      <StatusCallout status={status.value} reason={status.reason} expiresAt={c.expiresAt} now={now} advice={STATUS_ADVICE[status.value]} />

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card className="p-5">
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
                  <Field label="Account">
                    {oauth?.account.known ? oauth.account.text : <span className="text-slate-500">{oauth?.account.text ?? 'Not connected'}</span>}
                  </Field>
                  <Field label="OAuth app">
                    {oauth?.appName ?? <span className="text-slate-500">{oauth?.pasted ? 'Pasted tokens with their own token URL' : 'Unknown'}</span>}
                  </Field>
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
                <LastUsed at={c.lastUsedAt} now={now} />
              </Field>
              <Field label="Expires">
                <RelativeTime date={c.expiresAt} now={now} empty="No expiry" />
                {c.expiresAt ? <ExactTime date={c.expiresAt} className="block text-xs text-slate-500" /> : null}
              </Field>
            </dl>
          </Card>

          <ConnectionCard connection={connection} editHref={may.edit ? `${base}/edit` : null} now={now} />

          <DependentAgents slug={slug} agents={agents} now={now} />
        </div>

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
                    <p className="font-medium text-slate-900">{event.label}</p>
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

function DependentAgents({
  slug,
  agents,
  now,
}: {
  slug: string;
  agents: { id: string; name: string; lastUsedAt: Date | null }[];
  now: Date;
}) {
  return (
    <Card>
      <div className="flex items-center justify-between gap-3 px-5 pt-5">
        <div className="flex items-center gap-2">
          <h2 id="agents-with-access" className="text-sm font-semibold text-slate-900">
            Agents with access
          </h2>
          <Badge tone={agents.length > 0 ? 'indigo' : 'slate'}>{agents.length}</Badge>
        </div>
        <Link
          to={`/orgs/${slug}/agents`}
          className="rounded-sm text-xs font-medium text-indigo-600 hover:text-indigo-500 focus-visible:outline-2 focus-visible:outline-indigo-600"
        >
          Manage agents
        </Link>
      </div>
      <p className="px-5 pt-1 text-xs text-slate-500">Agents whose allowlist names this credential. They lose access if it is disconnected or deleted.</p>
      {agents.length === 0 ? (
        <div className="m-5 flex items-center gap-3 rounded-lg border border-dashed border-slate-300 px-4 py-3 text-sm text-slate-500">
          <Bot className="size-4 shrink-0 text-slate-400" aria-hidden />
          No agent can use this credential yet. Add its name to an agent’s allowlist to give it access.
        </div>
      ) : (
        <ul className="mt-3 divide-y divide-slate-100 border-t border-slate-100" aria-labelledby="agents-with-access">
          {agents.map((agent) => (
            <li key={agent.id}>
              <Link
                to={`/orgs/${slug}/agents/${agent.id}`}
                className="group flex items-center gap-3 px-5 py-3 hover:bg-slate-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600"
              >
                <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-indigo-50 text-indigo-600">
                  <Bot className="size-4" aria-hidden />
                </span>
                <span className="min-w-0 flex-1">
                  <span className="block truncate font-mono text-sm font-medium text-slate-900">{agent.name}</span>
                  <span className="block text-xs text-slate-500">
                    <LastUsed at={agent.lastUsedAt} now={now} />
                  </span>
                </span>
                <ChevronRight className="size-4 shrink-0 text-slate-400 group-hover:text-slate-600" aria-hidden />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** A secondary action button that is a link (Reveal, Replace value, Download, Upload new file). */
function ActionLink({ to, icon: Icon, label }: { to: string; icon: LucideIcon; label: string }) {
  return (
    <Button variant="secondary" asChild>
      <Link to={to}>
        <Icon className="size-4" aria-hidden />
        {label}
      </Link>
    </Button>
  );
}
