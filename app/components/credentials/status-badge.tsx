// A credential's status as a coloured badge; its reason shows on hover and on keyboard focus.
import { AlertTriangle, CircleCheck, CircleSlash, Clock } from 'lucide-react';
import type { CredentialStatusValue } from '~/credentials/table-state';
import { cn } from '~/utils/misc';
import { STATUS_FALLBACK_REASONS, STATUS_LABELS } from './labels';
import { Tooltip } from './tooltip';

const TONES: Record<CredentialStatusValue, string> = {
  active: 'bg-emerald-50 text-emerald-700 ring-emerald-200',
  needs_attention: 'bg-amber-50 text-amber-800 ring-amber-200',
  expired: 'bg-red-50 text-red-700 ring-red-200',
  disconnected: 'bg-slate-100 text-slate-700 ring-slate-300',
};

const ICONS = {
  active: CircleCheck,
  needs_attention: AlertTriangle,
  expired: Clock,
  disconnected: CircleSlash,
} as const;

export function statusReason(status: CredentialStatusValue, reason: string | null | undefined): string {
  return reason?.trim() || STATUS_FALLBACK_REASONS[status];
}

export function StatusBadge({
  status,
  reason,
  className,
}: {
  status: CredentialStatusValue;
  reason?: string | null;
  className?: string;
}) {
  const Icon = ICONS[status];
  const why = statusReason(status, reason);
  return (
    <Tooltip content={why}>
      <span
        tabIndex={0}
        data-status={status}
        className={cn(
          'inline-flex items-center gap-1 rounded-md px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset',
          'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
          TONES[status],
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
