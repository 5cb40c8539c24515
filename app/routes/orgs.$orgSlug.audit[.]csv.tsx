// The audit log as a CSV download, with the same filters as the audit page (every member may export what they may read).
import type { LoaderFunctionArgs } from '@remix-run/node';
import { auditEventsCsv } from '~/audit/audit.server';
import { auditFilterFromUrl, filterErrorResponse } from '~/audit/page-filters.server';
import { requireMembership } from '~/orgs/membership.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization } = await requireMembership(request, params.orgSlug);
  const { filter, noMatch, errors } = await auditFilterFromUrl(organization.id, new URL(request.url), { paginate: false });
  const refused = filterErrorResponse(errors);
  if (refused) return refused;
  // A credential that matches nothing exports the header row only, like the page shows no rows.
  const body = auditEventsCsv(organization.id, noMatch ? { ...filter, credentialId: '00000000-0000-4000-8000-000000000000' } : filter);
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="audit-${organization.slug}-${stamp}.csv"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
