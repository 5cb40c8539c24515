// Credentials list: the server-driven table (search, type/status chips, sort, pages) with its state in the URL.
import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useLocation, useNavigation } from '@remix-run/react';
import { FileKey, KeyRound, Link2, LockKeyhole, Plus, SearchX } from 'lucide-react';
import { AttentionBanner } from '~/components/attention-banner';
import { CredentialsTable } from '~/components/credentials/credentials-table';
import { tableHref } from '~/components/credentials/table-links';
import { FilterChips, SearchForm, SummaryStrip } from '~/components/credentials/table-toolbar';
import { Button } from '~/components/ui/button';
import { EmptyState, PageHeader } from '~/components/ui/card';
import { listCredentials } from '~/credentials/query.server';
import { parseTableState } from '~/credentials/table-state';
import { prisma } from '~/db.server';
import { attentionBanner } from '~/notifications/attention.server';
import { requireMembership } from '~/orgs/membership.server';
import { allows, rolesAllowed } from '~/orgs/permissions';

export const meta: MetaFunction = () => [{ title: 'Credentials · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  const url = new URL(request.url);
  const state = parseTableState(url.searchParams);
  // The banner's query (a membership lookup, then one statement over the status and expiry indexes) runs beside
  // the table's, so it adds no round trip. One clock for both, so statuses and times left agree to the second.
  const now = new Date();
  const [result, banner] = await Promise.all([
    listCredentials(organization.id, state, undefined, now),
    attentionBanner(organization.id, membership, now),
  ]);
  // A page past the end (a stale link after deletions) lands on the last page instead of an empty table.
  if (result.rows.length === 0 && state.page > 1 && result.pageCount > 0) {
    throw redirect(`${url.pathname}${tableHref(state, { page: result.pageCount })}`);
  }
  const filtered = Boolean(state.q) || state.type.length > 0 || state.status.length > 0;
  const isEmpty =
    result.total === 0 &&
    (!filtered || (await prisma.credential.count({ where: { organizationId: organization.id }, take: 1 })) === 0);
  return {
    slug: organization.slug,
    canCreate: allows(membership.role, 'credential.create'),
    state,
    now,
    isEmpty,
    banner,
    ...result,
  };
}

const ADD_TYPES = [
  { type: 'api_key', label: 'API key', icon: KeyRound },
  { type: 'oauth', label: 'OAuth', icon: Link2 },
  { type: 'password', label: 'Password', icon: LockKeyhole },
  { type: 'file', label: 'File', icon: FileKey },
] as const;

export default function CredentialsPage() {
  const data = useLoaderData<typeof loader>();
  const { slug, canCreate, state, isEmpty } = data;
  const navigation = useNavigation();
  const location = useLocation();
  // Dim the table only for navigations that stay on this page (a new search, filter, sort or page).
  const loading = navigation.state === 'loading' && navigation.location.pathname === location.pathname;

  return (
    <div className="space-y-6">
      <PageHeader
        title="Credentials"
        description="API keys, OAuth connections, passwords and files your agents use — encrypted, audited, never shown to agents."
        actions={
          canCreate && !isEmpty ? (
            <Button asChild>
              <Link to={`/orgs/${slug}/credentials/new`}>
                <Plus className="size-4" aria-hidden />
                Add credential
              </Link>
            </Button>
          ) : null
        }
      />
      <AttentionBanner banner={data.banner} orgSlug={slug} now={data.now} />
      {isEmpty ? (
        <EmptyState
          icon={<KeyRound className="size-5" aria-hidden />}
          title="No credentials yet"
          description={
            canCreate
              ? 'Add the first credential your agents need. Values are encrypted with your organization’s own key.'
              : `Nobody has added a credential yet. ${capitalised(rolesAllowed('credential.create'))} can add them.`
          }
        >
          {canCreate
            ? ADD_TYPES.map(({ type, label, icon: Icon }) => (
                <Button key={type} variant="secondary" asChild>
                  <Link to={`/orgs/${slug}/credentials/new?type=${type}`}>
                    <Icon className="size-4 text-slate-500" aria-hidden />
                    Add {label === 'OAuth' ? 'OAuth connection' : label === 'API key' ? 'API key' : label.toLowerCase()}
                  </Link>
                </Button>
              ))
            : null}
        </EmptyState>
      ) : (
        <div className="space-y-4">
          <SummaryStrip summary={data.summary} />
          <div className="flex flex-col gap-3">
            <SearchForm state={state} />
            <FilterChips state={state} counts={data.counts} countsExact={data.countsExact} />
          </div>
          {data.rows.length === 0 ? (
            <div
              className="flex flex-col items-center rounded-lg border border-slate-200 bg-white px-6 py-12 text-center shadow-sm"
              role="status"
            >
              <div className="mb-3 flex size-11 items-center justify-center rounded-full bg-slate-100 text-slate-500">
                <SearchX className="size-5" aria-hidden />
              </div>
              <h2 className="text-base font-semibold text-slate-900">No credentials match</h2>
              <p className="mt-1 max-w-md text-sm break-words text-slate-500">
                {state.q ? (
                  <>
                    Nothing named or from a service like “<span className="font-medium text-slate-700">{state.q}</span>”
                    {state.type.length + state.status.length > 0 ? ' with these filters' : ''}.
                  </>
                ) : (
                  'No credential has this type and status.'
                )}
              </p>
              <Button variant="secondary" className="mt-6" asChild>
                <Link to={tableHref(state, { q: '', type: [], status: [], page: 1 })}>Clear filters</Link>
              </Button>
            </div>
          ) : (
            <CredentialsTable
              slug={slug}
              rows={data.rows}
              state={state}
              total={data.total}
              totalExact={data.totalExact}
              pageCount={data.pageCount}
              hasNextPage={data.hasNextPage}
              now={data.now}
              loading={loading}
            />
          )}
        </div>
      )}
    </div>
  );
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
