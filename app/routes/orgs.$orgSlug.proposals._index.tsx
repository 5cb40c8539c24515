// Proposals inbox: what agents asked for, by status (pending first), newest first; each row opens the approval page.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { Bot, ChevronRight, Inbox } from 'lucide-react';
import { ProposalStatusBadge, ServiceStack } from '~/components/proposals/proposal-parts';
import { Card, EmptyState, PageHeader } from '~/components/ui/card';
import { getEnv } from '~/config/env.server';
import { requireMembership } from '~/orgs/membership.server';
import { approvalPath } from '~/proposals/paths';
import { PROPOSAL_STATUSES, type ProposalStatus } from '~/proposals/proposals';
import { listProposals, pendingProposalCount } from '~/proposals/proposals.server';
import { cn } from '~/utils/misc';
import { relativeText } from '~/utils/relative-time';

export const meta: MetaFunction = () => [{ title: 'Proposals · Latchkey' }];

const PAGE_SIZE = 25;
const TABS: Array<{ status: ProposalStatus; label: string }> = [
  { status: 'pending', label: 'Pending' },
  { status: 'approved', label: 'Approved' },
  { status: 'rejected', label: 'Rejected' },
  { status: 'expired', label: 'Expired' },
];

function statusFromUrl(url: URL): ProposalStatus {
  const status = url.searchParams.get('status');
  return (PROPOSAL_STATUSES as readonly string[]).includes(status ?? '') ? (status as ProposalStatus) : 'pending';
}

function pageFromUrl(url: URL): number {
  const page = Number(url.searchParams.get('page'));
  return Number.isSafeInteger(page) && page >= 1 && page <= 10_000 ? page : 1;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization } = await requireMembership(request, params.orgSlug);
  const url = new URL(request.url);
  const status = statusFromUrl(url);
  const page = pageFromUrl(url);
  const now = new Date();
  const [{ proposals, more }, pending] = await Promise.all([
    listProposals(organization.id, { status, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }, { publicUrl: getEnv().PUBLIC_URL, now }),
    pendingProposalCount(organization.id, now),
  ]);
  return {
    slug: organization.slug,
    status,
    page,
    more,
    pending,
    now: now.toISOString(),
    proposals: proposals.map((p) => ({
      id: p.id,
      status: p.status,
      agent: p.agent,
      message: p.message,
      createdAt: p.createdAt,
      expiresAt: p.expiresAt,
      decidedAt: p.decidedAt,
      decidedBy: p.decidedBy?.label ?? null,
      services: p.credentials.map((c) => c.service),
      names: p.credentials.map((c) => c.name),
      deletes: p.credentials.filter((c) => c.kind === 'delete').length,
    })),
  };
}

/** The first line of the message, cut at a word near `max` characters. */
function excerpt(message: string, max = 160): string {
  const line = message.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  if (line.length <= max) return line;
  const cut = line.slice(0, max);
  return `${cut.slice(0, cut.lastIndexOf(' ') > max / 2 ? cut.lastIndexOf(' ') : max)}…`;
}

export default function ProposalsInbox() {
  const { slug, status, page, more, pending, proposals, now } = useLoaderData<typeof loader>();
  const base = `/orgs/${slug}/proposals`;
  const tabHref = (s: ProposalStatus) => (s === 'pending' ? base : `${base}?status=${s}`);
  const pageHref = (p: number) => `${base}?${new URLSearchParams({ ...(status === 'pending' ? {} : { status }), page: String(p) })}`;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Proposals"
        description="Agents ask here for the credentials they lack. Approving creates them and adds them to the agent’s allowlist in one step."
      />
      <nav aria-label="Proposal status" className="-mt-2 flex gap-1 overflow-x-auto border-b border-slate-200">
        {TABS.map((tab) => {
          const active = tab.status === status;
          return (
            <Link
              key={tab.status}
              to={tabHref(tab.status)}
              aria-current={active ? 'page' : undefined}
              className={cn(
                '-mb-px inline-flex items-center gap-1.5 border-b-2 px-2.5 py-2 sm:gap-2 sm:px-3 text-sm font-medium whitespace-nowrap transition-colors focus-visible:outline-2 focus-visible:outline-indigo-600',
                active ? 'border-indigo-600 text-indigo-700' : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900',
              )}
            >
              {tab.label}
              {tab.status === 'pending' && pending > 0 ? (
                <span className="rounded-full bg-indigo-100 px-1.5 py-0.5 text-[11px] leading-none font-semibold text-indigo-700 tabular-nums">{pending}</span>
              ) : null}
            </Link>
          );
        })}
      </nav>

      {proposals.length === 0 ? (
        <EmptyInbox status={status} />
      ) : (
        <Card>
          <ul className="divide-y divide-slate-100" aria-label={`${TABS.find((t) => t.status === status)!.label} proposals`}>
            {proposals.map((p) => (
              <li key={p.id}>
                <Link
                  to={approvalPath(slug, p.id)}
                  data-testid="proposal-row"
                  className="group flex items-start gap-4 px-4 py-4 transition-colors hover:bg-slate-50 focus-visible:bg-slate-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600 sm:px-5"
                >
                  <span className="mt-0.5 hidden size-9 shrink-0 items-center justify-center rounded-lg bg-slate-100 text-slate-600 sm:flex">
                    <Bot className="size-4.5" aria-hidden />
                  </span>
                  <span className="min-w-0 flex-1">
                    <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
                      <span className="font-mono text-sm font-semibold text-slate-900">{p.agent.name}</span>
                      <span className="text-sm text-slate-500">
                        asks for {p.names.length} credential{p.names.length === 1 ? '' : 's'}
                      </span>
                      {p.deletes > 0 ? (
                        <span className="rounded-md bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-700 ring-1 ring-red-200 ring-inset">
                          {p.deletes} delete{p.deletes === 1 ? '' : 's'}
                        </span>
                      ) : null}
                      {p.status !== 'pending' ? <ProposalStatusBadge status={p.status} /> : null}
                    </span>
                    <span className="mt-1 block text-sm text-slate-700 [overflow-wrap:anywhere]">{excerpt(p.message)}</span>
                    <span className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1.5 text-xs text-slate-500">
                      <ServiceStack services={p.services} />
                      <span className="font-mono text-slate-600 [overflow-wrap:anywhere]">{p.names.slice(0, 3).join(', ')}{p.names.length > 3 ? ` +${p.names.length - 3}` : ''}</span>
                    </span>
                    <span className="mt-2 block text-xs text-slate-500 sm:hidden">
                      <When p={p} now={now} separator=" · " />
                    </span>
                  </span>
                  <span className="hidden shrink-0 flex-col items-end gap-1 text-right text-xs text-slate-500 sm:flex">
                    <When p={p} now={now} />
                    <ChevronRight className="mt-1 size-4 text-slate-300 group-hover:text-slate-500" aria-hidden />
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      )}

      {page > 1 || more ? (
        <nav aria-label="Pages" className="flex items-center justify-between text-sm">
          {page > 1 ? (
            <Link to={pageHref(page - 1)} className="font-medium text-indigo-600 hover:text-indigo-500">
              ← Newer
            </Link>
          ) : (
            <span />
          )}
          {more ? (
            <Link to={pageHref(page + 1)} className="font-medium text-indigo-600 hover:text-indigo-500">
              Older →
            </Link>
          ) : null}
        </nav>
      ) : null}
    </div>
  );
}

/** When it was asked, and when it expires (pending) or who decided it. */
function When({ p, now, separator }: { p: { status: string; createdAt: string; expiresAt: string; decidedAt: string | null; decidedBy: string | null }; now: string; separator?: string }) {
  const second =
    p.status === 'pending'
      ? `Expires ${relativeText(new Date(p.expiresAt), new Date(now))}`
      : p.decidedAt
        ? `${p.status === 'expired' ? 'Expired' : p.status === 'approved' ? 'Approved' : 'Rejected'}${p.decidedBy && p.status !== 'expired' ? ` by ${p.decidedBy.replace(/\s*<.*>$/, '')}` : ''}`
        : null;
  const asked = <time dateTime={p.createdAt}>{relativeText(new Date(p.createdAt), new Date(now))}</time>;
  if (separator) return <>{asked}{second ? `${separator}${second}` : null}</>;
  return (
    <>
      {asked}
      {second ? <span className="max-w-48 truncate whitespace-nowrap">{second}</span> : null}
    </>
  );
}

function EmptyInbox({ status }: { status: ProposalStatus }) {
  if (status !== 'pending') {
    return <EmptyState icon={<Inbox className="size-5" aria-hidden />} title={`No ${status} proposals`} description="Proposals move here once they are decided or expire." />;
  }
  return (
    <EmptyState
      icon={<Inbox className="size-5" aria-hidden />}
      title="No proposals waiting"
      description={
        <>
          When an agent needs a credential it does not have, it proposes it: the agent calls{' '}
          <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">POST /api/v1/proposals</code> or runs{' '}
          <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">latchkey propose</code>. You fill in or connect what it asks for
          here, and approving grants it in one step.
        </>
      }
    />
  );
}
