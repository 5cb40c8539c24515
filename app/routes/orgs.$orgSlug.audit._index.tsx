// Audit log page: every member reads the organization's events (actors and targets by their current names), filtered by actor, action, credential and dates, with CSV export.
import { data, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useLocation } from '@remix-run/react';
import { format } from 'date-fns';
import { Bot, Cog, Download, KeyRound, ScrollText, UserRound } from 'lucide-react';
import { listAuditEvents, type AuditEventView } from '~/audit/audit.server';
import { auditFilterFromUrl, auditSearchParams } from '~/audit/page-filters.server';
import { Button } from '~/components/ui/button';
import { Card, EmptyState, PageHeader } from '~/components/ui/card';
import { ErrorList, Input, Label, Select } from '~/components/ui/field';
import { nameAuditEvents, type AuditName } from '~/audit/event-names.server';
import { actionLabel } from '~/audit/labels';
import { prisma } from '~/db.server';
import { requireMembership } from '~/orgs/membership.server';
import { cn } from '~/utils/misc';
import { ROLE_LABELS, type Role } from '~/orgs/roles';

export const meta: MetaFunction = () => [{ title: 'Audit log · Latchkey' }];

/** A one-line, secret-free summary of an event's details (the details never hold secrets). */
function summarize(event: AuditEventView): string {
  const d = event.details;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return '';
  const details = d as Record<string, unknown>;
  const parts: string[] = [];
  const changes = details.changes as Record<string, unknown> | undefined;
  if (changes && typeof changes === 'object') {
    const name = changes.name as { from?: string; to?: string } | undefined;
    if (name?.from) parts.push(`renamed ${name.from} → ${name.to}`);
    if (changes.description) parts.push('description changed');
    const expiry = changes.expiresAt as { to?: string | null } | undefined;
    if (expiry) parts.push(expiry.to ? `expires ${expiry.to.slice(0, 10)}` : 'expiry removed');
  }
  const describesCredential = event.action === 'credential.create' || event.action === 'credential.delete';
  if (describesCredential && typeof details.service === 'string') parts.push(details.service);
  if (describesCredential && typeof details.type === 'string') parts.push(details.type.replace('_', ' '));
  if (typeof details.fileName === 'string') parts.push(String(details.fileName));
  if (typeof details.version === 'number') parts.push(`version ${details.version}`);
  if (Array.isArray(details.fields) && event.action === 'credential.reveal') parts.push(`fields: ${details.fields.join(', ')}`);
  if (event.action === 'credential.used' && typeof details.uses === 'number') parts.push(`${details.uses} request${details.uses === 1 ? '' : 's'}`);
  const role = (value: unknown) => (typeof value === 'string' && value in ROLE_LABELS ? ROLE_LABELS[value as Role] : null);
  if (event.action === 'member.role_change' && role(details.from) && role(details.to)) parts.push(`${role(details.from)} → ${role(details.to)}`);
  if ((event.action === 'member.invite' || event.action === 'member.join' || event.action === 'member.invitation_revoke') && role(details.role)) {
    parts.push(`as ${role(details.role)}`);
  }
  if ((event.action === 'member.remove' || event.action === 'member.leave') && role(details.role)) parts.push(`was ${role(details.role)}`);
  if (event.action === 'member.join' && details.signedUp === true) parts.push('new account');
  if (event.action === 'organization.rename' && typeof details.from === 'string') parts.push(`${details.from} → ${String(details.to)}`);
  if (event.action.startsWith('member.') || event.action.startsWith('organization.')) return parts.join(' · ');
  if (parts.length === 0) {
    for (const [key, value] of Object.entries(details)) {
      if (key === 'name' || value === null || typeof value === 'object') continue;
      parts.push(`${key}: ${String(value)}`);
      if (parts.length >= 3) break;
    }
  }
  return parts.join(' · ');
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  // Every member may read the log: it holds who did what, never a secret value.
  const { organization } = await requireMembership(request, params.orgSlug, 'audit.view');
  const url = new URL(request.url);
  const { query, filter, errors, noMatch } = await auditFilterFromUrl(organization.id, url, { paginate: true });
  const [page, members, actions, total] = await Promise.all([
    noMatch ? Promise.resolve({ events: [], nextCursor: null }) : listAuditEvents(organization.id, { ...filter, limit: 50 }),
    prisma.membership.findMany({
      where: { organizationId: organization.id },
      select: { user: { select: { id: true, name: true, email: true } } },
      orderBy: { createdAt: 'asc' },
    }),
    prisma.auditEvent.groupBy({ by: ['action'], where: { organizationId: organization.id }, orderBy: { action: 'asc' } }),
    prisma.auditEvent.count({ where: { organizationId: organization.id }, take: 1 }),
  ]);
  const names = await nameAuditEvents(organization, page.events);
  const suggestions = await prisma.credential.findMany({
    where: { organizationId: organization.id },
    select: { name: true },
    orderBy: { updatedAt: 'desc' },
    take: 100,
  });

  const base = `/orgs/${organization.slug}/audit`;
  // A filter the page cannot apply (an impossible date) is shown on the form, with 400.
  return data({
    slug: organization.slug,
    query,
    errors,
    hasAnyEvent: total > 0,
    filtered: Object.values(query).some(Boolean),
    isFirstPage: !filter.cursor,
    csvHref: `${base}.csv${auditSearchParams(query)}`,
    newestHref: `${base}${auditSearchParams(query)}`,
    olderHref: page.nextCursor ? `${base}${auditSearchParams(query, { cursor: String(page.nextCursor) })}` : null,
    members: members.map((m) => ({ id: m.user.id, label: m.user.name ? `${m.user.name} (${m.user.email})` : m.user.email })),
    actions: actions.map((a) => ({ value: a.action, label: actionLabel(a.action) })),
    credentialNames: suggestions.map((s) => s.name),
    events: page.events.map((e) => {
      const { actor, target } = names.get(e.id)!;
      return {
        id: e.id,
        createdAt: e.createdAt.toISOString(),
        actorType: e.actorType,
        actor,
        action: e.action,
        actionLabel: actionLabel(e.action),
        target,
        credentialId: e.credentialId,
        credentialName: e.credentialId && target && !target.deleted ? target.name : null,
        ip: e.ip,
        summary: summarize(e),
      };
    }),
  }, { status: Object.keys(errors).length > 0 ? 400 : 200 });
}

const ACTOR_ICONS = { user: UserRound, agent: Bot, api_token: KeyRound, system: Cog } as const;

/** A person, agent, credential or app by its current name; "(deleted)" only when it no longer exists. */
function NameView({ value, mono = false }: { value: AuditName; mono?: boolean }) {
  const nameClass = mono ? 'font-mono' : undefined;
  if (value.deleted) {
    return (
      <span className="text-slate-500" title="This no longer exists; the name is the one recorded at the time">
        <span className={nameClass}>{value.name}</span> <span className="text-xs">(deleted)</span>
      </span>
    );
  }
  const title = value.detail ?? undefined;
  if (value.href) {
    return (
      <Link to={value.href} title={title} className={cn('text-indigo-600 hover:text-indigo-500', nameClass)}>
        {value.name}
      </Link>
    );
  }
  return (
    <span title={title} className={nameClass}>
      {value.name}
    </span>
  );
}

export default function AuditPage() {
  const data = useLoaderData<typeof loader>();
  const { slug, query, errors, events } = data;
  // Remounting the filter form on every URL change resets its uncontrolled inputs (e.g. after "Clear").
  const { search } = useLocation();
  return (
    <div className="space-y-6">
      <PageHeader
        title="Audit log"
        description="Every change in this organization, every reveal and every agent’s use, newest first. Visible to everyone in the organization."
        actions={
          data.hasAnyEvent ? (
            <Button asChild variant="secondary">
              <a href={data.csvHref} download>
                <Download className="size-4" aria-hidden />
                Export CSV
              </a>
            </Button>
          ) : null
        }
      />

      {data.hasAnyEvent ? (
        <Form key={search} method="get" className="grid grid-cols-1 gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-3" aria-label="Filter events">
          <div>
            <Label htmlFor="audit-actor">Actor</Label>
            <Select id="audit-actor" name="actor" defaultValue={query.actor} className="mt-1.5">
              <option value="">Anyone</option>
              <option value="system">System</option>
              <option value="agent">Agents</option>
              <option value="api_token">API tokens</option>
              {data.members.map((m) => (
                <option key={m.id} value={`user:${m.id}`}>
                  {m.label}
                </option>
              ))}
            </Select>
          </div>
          <div>
            <Label htmlFor="audit-action">Action</Label>
            <Select id="audit-action" name="action" defaultValue={query.action} className="mt-1.5">
              <option value="">Any action</option>
              {data.actions.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label}
                </option>
              ))}
            </Select>
          </div>
          <div>
            <Label htmlFor="audit-credential">Credential</Label>
            <Input id="audit-credential" name="credential" list="audit-credential-names" defaultValue={query.credential} placeholder="Name" autoComplete="off" className="mt-1.5" />
            <datalist id="audit-credential-names">
              {data.credentialNames.map((n) => (
                <option key={n} value={n} />
              ))}
            </datalist>
          </div>
          <div>
            <Label htmlFor="audit-from">From</Label>
            <Input id="audit-from" type="date" name="from" defaultValue={query.from} className="mt-1.5" aria-invalid={errors.from ? true : undefined} aria-describedby={errors.from ? 'audit-from-error' : undefined} />
            <ErrorList id="audit-from-error" errors={errors.from} />
          </div>
          <div>
            <Label htmlFor="audit-to">To</Label>
            <Input id="audit-to" type="date" name="to" defaultValue={query.to} className="mt-1.5" aria-invalid={errors.to ? true : undefined} aria-describedby={errors.to ? 'audit-to-error' : undefined} />
            <ErrorList id="audit-to-error" errors={errors.to} />
          </div>
          <div className="flex items-end gap-2">
            <Button type="submit" className="flex-1">
              Apply
            </Button>
            {data.filtered ? (
              <Button asChild variant="ghost">
                <Link to={`/orgs/${slug}/audit`}>Clear</Link>
              </Button>
            ) : null}
          </div>
        </Form>
      ) : null}

      {!data.hasAnyEvent ? (
        <EmptyState
          icon={<ScrollText className="size-5" aria-hidden />}
          title="No events yet"
          description="When someone adds, changes, reveals or deletes a credential, it shows up here."
        />
      ) : events.length === 0 ? (
        <EmptyState icon={<ScrollText className="size-5" aria-hidden />} title="No events match these filters" description="Widen the date range or clear a filter.">
          <Button asChild variant="secondary">
            <Link to={`/orgs/${slug}/audit`}>Clear filters</Link>
          </Button>
        </EmptyState>
      ) : (
        <Card className="overflow-hidden">
          <ul className="divide-y divide-slate-100 md:hidden" aria-label="Audit events, newest first">
            {events.map((e) => {
              const Icon = ACTOR_ICONS[e.actorType];
              return (
                <li key={e.id} className="space-y-1 px-4 py-3 text-sm">
                  <div className="flex items-baseline justify-between gap-3">
                    <span className="font-medium text-slate-900">{e.actionLabel}</span>
                    <time dateTime={e.createdAt} className="shrink-0 text-xs text-slate-500">
                      {format(new Date(e.createdAt), 'MMM d, HH:mm')}
                    </time>
                  </div>
                  {e.target ? (
                    <p>
                      <NameView value={e.target} mono={e.credentialId !== null || e.target.href?.includes('/agents/') === true} />
                    </p>
                  ) : null}
                  <p className="flex min-w-0 items-center gap-1.5 text-xs text-slate-500">
                    <Icon className="size-3.5 shrink-0" aria-label={e.actorType} />
                    <span className="min-w-0 truncate">
                      <NameView value={e.actor} />
                    </span>
                    {e.ip ? <span className="shrink-0 font-mono">· {e.ip}</span> : null}
                  </p>
                  {e.summary ? <p className="text-xs text-slate-600">{e.summary}</p> : null}
                </li>
              );
            })}
          </ul>
          <div className="hidden overflow-x-auto md:block">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <caption className="sr-only">Audit events, newest first</caption>
              <thead className="bg-slate-50 text-left text-xs font-medium tracking-wide text-slate-500 uppercase">
                <tr>
                  <th scope="col" className="px-4 py-2.5 whitespace-nowrap">Time</th>
                  <th scope="col" className="px-4 py-2.5">Actor</th>
                  <th scope="col" className="px-4 py-2.5">Action</th>
                  <th scope="col" className="px-4 py-2.5">Target</th>
                  <th scope="col" className="px-4 py-2.5">IP</th>
                  <th scope="col" className="px-4 py-2.5">Details</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 bg-white">
                {events.map((e) => {
                  const Icon = ACTOR_ICONS[e.actorType];
                  return (
                    <tr key={e.id} className="align-top">
                      <td className="px-4 py-3 whitespace-nowrap text-slate-600">
                        <time dateTime={e.createdAt} title={e.createdAt}>
                          {format(new Date(e.createdAt), 'MMM d, yyyy HH:mm:ss')}
                        </time>
                      </td>
                      <td className="px-4 py-3">
                        <span className="inline-flex items-center gap-1.5 text-slate-800">
                          <Icon className="size-3.5 shrink-0 text-slate-400" aria-label={e.actorType} />
                          <span className="max-w-56 truncate">
                            <NameView value={e.actor} />
                          </span>
                        </span>
                      </td>
                      <td className="px-4 py-3 whitespace-nowrap text-slate-800">{e.actionLabel}</td>
                      <td className="px-4 py-3">
                        {e.target ? (
                          <NameView value={e.target} mono={e.credentialId !== null || e.target.href?.includes('/agents/') === true} />
                        ) : (
                          <span className="text-slate-400">—</span>
                        )}
                      </td>
                      <td className="px-4 py-3 font-mono text-xs whitespace-nowrap text-slate-600">{e.ip ?? '—'}</td>
                      <td className="px-4 py-3 text-slate-600">{e.summary || '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div className="flex items-center justify-between gap-3 border-t border-slate-200 bg-slate-50 px-4 py-3">
            {!data.isFirstPage ? (
              <Link to={data.newestHref} className="text-sm font-medium text-indigo-600 hover:text-indigo-500">
                Back to newest
              </Link>
            ) : (
              <span />
            )}
            {data.olderHref ? (
              <Button asChild variant="secondary" size="sm">
                <Link to={data.olderHref}>Load older</Link>
              </Button>
            ) : (
              <span className="text-xs text-slate-500">No older events</span>
            )}
          </div>
        </Card>
      )}
    </div>
  );
}
