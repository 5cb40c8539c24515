// A credential's status as a coloured badge; its reason shows on hover and on keyboard focus.
import { AlertTriangle, CircleCheck, CircleSlash, Clock, Hourglass } from 'lucide-react';
import type { CredentialStatusValue } from '~/credentials/status';
import { cn } from '~/utils/misc';
import { STATUS_LABELS, statusSentence } from './labels';
import { Tooltip } from './tooltip';

// A scale a person reads at a glance: green works, amber works but not for long, orange needs a person, red is over.
export const STATUS_TONES: Record<CredentialStatusValue, string> = {
  active: 'bg-emerald-50 text-emerald-700 ring-emerald-200',
  expiring: 'bg-amber-50 text-amber-800 ring-amber-300',
  needs_attention: 'bg-orange-100 text-orange-900 ring-orange-300',
  expired: 'bg-red-50 text-red-700 ring-red-200',
  disconnected: 'bg-slate-100 text-slate-700 ring-slate-300',
};

export const STATUS_ICONS = {
  active: CircleCheck,
  expiring: Hourglass,
  needs_attention: AlertTriangle,
  expired: Clock,
  disconnected: CircleSlash,
} as const satisfies Record<CredentialStatusValue, unknown>;

export function StatusBadge({
  status,
  reason,
  expiresAt,
  now,
  className,
}: {
  status: CredentialStatusValue;
  reason?: string | null;
  /** With `now`, expiring and expired badges say the time left (or since) in their tooltip. */
  expiresAt?: Date | string | null;
  now?: Date | string;
  className?: string;
}) {
  const Icon = STATUS_ICONS[status];
  const why = statusSentence(status, reason, expiresAt, now ?? new Date());
  return (
    <Tooltip content={why}>
      <span
        tabIndex={0}
        data-status={status}
        className={cn(
          'inline-flex items-center gap-1 rounded-md px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset',
          'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
          STATUS_TONES[status],
          className,
        )}
      >
        <Icon className="size-3.5" aria-hidden />
        {STATUS_LABELS[status]}
        <span className="sr-only">: {why}</span>
      </span>
    </Tooltip>
  );
}

const CALLOUT_TONES: Record<Exclude<CredentialStatusValue, 'active'>, { box: string; icon: string; title: string }> = {
  expiring: { box: 'border-amber-200 bg-amber-50', icon: 'text-amber-600', title: 'text-amber-900' },
  needs_attention: { box: 'border-orange-200 bg-orange-50', icon: 'text-orange-600', title: 'text-orange-900' },
  expired: { box: 'border-red-200 bg-red-50', icon: 'text-red-600', title: 'text-red-900' },
  disconnected: { box: 'border-slate-200 bg-slate-50', icon: 'text-slate-500', title: 'text-slate-900' },
};

/**
 * A non-active status in full, as a block of its own under a page's header: the label, the reason (however
 * long, wrapped inside the block, never under the page's buttons) and what to do about it.
 */
export function StatusCallout({
  status,
  reason,
  expiresAt,
  now,
  advice,
}: {
  status: CredentialStatusValue;
  reason: string | null;
  expiresAt: Date | string | null;
  now: Date | string;
  advice?: string;
}) {
  if (status === 'active') return null;
  const tone = CALLOUT_TONES[status];
  const Icon = STATUS_ICONS[status];
  const sentence = statusSentence(status, reason, expiresAt, now);
  // An expiring key with a stored reason ("Expires on …") still leads with the time left.
  const detail = status === 'expiring' && reason?.trim() && reason.trim() !== sentence ? reason.trim() : null;
  return (
    <section role="status" aria-label={`Status: ${STATUS_LABELS[status]}`} className={cn('flex gap-3 rounded-lg border px-4 py-3', tone.box)}>
      <Icon className={cn('mt-0.5 size-5 shrink-0', tone.icon)} aria-hidden />
      <div className="min-w-0 flex-1 text-sm">
        <p className={cn('font-semibold', tone.title)}>{STATUS_LABELS[status]}</p>
        <p data-testid="status-reason" className="mt-0.5 text-slate-700 [overflow-wrap:anywhere]">
          {sentence}
        </p>
        {detail ? <p className="mt-0.5 text-xs text-slate-500 [overflow-wrap:anywhere]">{detail}</p> : null}
        {advice ? <p className="mt-1 text-xs text-slate-600">{advice}</p> : null}
      </div>
    </section>
  );
}
