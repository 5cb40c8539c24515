// Banner on the credentials page: credentials that newly need attention, expired or expire soon, with a link each and a dismiss button.
import { Form, Link } from '@remix-run/react';
import { AlertTriangle, Hourglass, X } from 'lucide-react';
import { statusSentence } from '~/components/credentials/labels';
import { StatusBadge } from '~/components/credentials/status-badge';
import type { AttentionBanner as AttentionBannerData, BannerStatus } from '~/notifications/attention.server';
import { cn } from '~/utils/misc';

const VERBS: Record<BannerStatus, [one: string, many: string]> = {
  needs_attention: ['needs attention', 'need attention'],
  expired: ['expired', 'expired'],
  expiring: ['expires soon', 'expire soon'],
};

/** "1 credential needs attention, 2 expired and 1 expires soon": worst first, only what is there. */
export function bannerTitle(byStatus: Record<BannerStatus, number>): string {
  const parts = (Object.keys(VERBS) as BannerStatus[])
    .filter((status) => byStatus[status] > 0)
    .map((status, index) => {
      const n = byStatus[status];
      const verb = VERBS[status][n === 1 ? 0 : 1];
      return index === 0 ? `${n} credential${n === 1 ? '' : 's'} ${verb}` : `${n} ${verb}`;
    });
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? '');
}

export function AttentionBanner({ banner, orgSlug, now }: { banner: AttentionBannerData | null; orgSlug: string; now: Date | string }) {
  if (!banner) return null;
  const more = banner.count - banner.items.length;
  // Only warnings (nothing broken yet): the calmer amber of the Expiring badge.
  const onlyExpiring = banner.byStatus.expiring === banner.count;
  const Icon = onlyExpiring ? Hourglass : AlertTriangle;
  return (
    <section
      aria-labelledby="attention-banner-title"
      className={cn(
        'flex items-start gap-3 rounded-lg border p-4 shadow-sm',
        onlyExpiring ? 'border-amber-200 bg-amber-50' : 'border-orange-200 bg-orange-50',
      )}
    >
      <Icon className={cn('mt-0.5 size-5 shrink-0', onlyExpiring ? 'text-amber-600' : 'text-orange-600')} aria-hidden="true" />
      <div className="min-w-0 flex-1">
        <h2 id="attention-banner-title" className="text-sm font-semibold text-slate-900">
          {bannerTitle(banner.byStatus)}
        </h2>
        <ul className="mt-2 space-y-1.5 text-sm text-slate-800">
          {banner.items.map((item) => (
            <li key={item.id} data-banner-item={item.name} className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 sm:flex-nowrap">
              <StatusBadge status={item.status} reason={item.reason} expiresAt={item.expiresAt} now={now} className="shrink-0" />
              <span className="min-w-0 [overflow-wrap:anywhere] sm:truncate">
                <Link
                  to={`/orgs/${orgSlug}/credentials/${item.id}`}
                  className="font-medium text-slate-900 underline decoration-slate-300 underline-offset-2 hover:decoration-slate-600"
                >
                  {item.name}
                </Link>
                <span className="text-slate-600">: {statusSentence(item.status, item.reason, item.expiresAt, now)}</span>
              </span>
            </li>
          ))}
          {more > 0 ? <li className="text-slate-600">and {more} more</li> : null}
        </ul>
      </div>
      <Form method="post" action={`/orgs/${orgSlug}/attention`} className="shrink-0">
        <button
          type="submit"
          className={cn(
            'inline-flex size-8 items-center justify-center rounded-lg focus-visible:outline-2 focus-visible:outline-offset-2',
            onlyExpiring
              ? 'text-amber-700 hover:bg-amber-100 focus-visible:outline-amber-600'
              : 'text-orange-700 hover:bg-orange-100 focus-visible:outline-orange-600',
          )}
          aria-label="Dismiss until something else needs attention"
        >
          <X className="size-4" aria-hidden="true" />
        </button>
      </Form>
    </section>
  );
}
