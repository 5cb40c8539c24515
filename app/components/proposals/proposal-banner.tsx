// Banner on the org's pages while proposals wait: who asks for how many credentials, and a link to review (not on the proposals pages).
import { Link } from '@remix-run/react';
import { ArrowRight, Inbox } from 'lucide-react';
import { approvalPath } from '~/proposals/paths';

export interface ProposalBannerData {
  count: number;
  latest: { id: string; agent: string; credentials: number } | null;
}

/** "Agent deploy-bot asks for 2 credentials" for one proposal; "3 proposals wait for review (newest: deploy-bot)" for several. */
export function proposalBannerTitle({ count, latest }: ProposalBannerData): string {
  if (!latest) return '';
  const asks = `asks for ${latest.credentials} credential${latest.credentials === 1 ? '' : 's'}`;
  if (count <= 1) return `Agent ${latest.agent} ${asks}`;
  return `${count} proposals wait for review; the newest: ${latest.agent} ${asks}`;
}

export function ProposalBanner({ banner, orgSlug }: { banner: ProposalBannerData; orgSlug: string }) {
  if (banner.count === 0 || !banner.latest) return null;
  const to = banner.count === 1 ? approvalPath(orgSlug, banner.latest.id) : `/orgs/${orgSlug}/proposals`;
  return (
    <section
      aria-label="Proposals waiting for review"
      data-testid="proposal-banner"
      className="mb-6 flex flex-wrap items-center gap-x-3 gap-y-2 rounded-lg border border-indigo-200 bg-indigo-50 px-4 py-2.5 text-sm shadow-sm"
    >
      <Inbox className="size-4 shrink-0 text-indigo-600" aria-hidden />
      <p className="min-w-0 flex-1 font-medium text-slate-900">{proposalBannerTitle(banner)}</p>
      <Link
        to={to}
        className="inline-flex items-center gap-1 rounded-md font-semibold text-indigo-700 hover:text-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
      >
        Review
        <ArrowRight className="size-3.5" aria-hidden />
      </Link>
    </section>
  );
}
