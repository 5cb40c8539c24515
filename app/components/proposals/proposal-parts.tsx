// Small pieces shared by the proposals inbox and the approval page: status badge, service logos, wording of slot kinds and types.
import { ServiceLogo } from '~/components/ServiceLogo';
import { Badge } from '~/components/ui/card';
import { getService } from '~/credentials/catalog';
import type { ProposalStatus, SlotKind } from '~/proposals/proposals';
import { cn } from '~/utils/misc';

const STATUS: Record<ProposalStatus, { label: string; tone: 'indigo' | 'green' | 'red' | 'slate' }> = {
  pending: { label: 'Pending', tone: 'indigo' },
  approved: { label: 'Approved', tone: 'green' },
  rejected: { label: 'Rejected', tone: 'red' },
  expired: { label: 'Expired', tone: 'slate' },
};

export function ProposalStatusBadge({ status, className }: { status: ProposalStatus; className?: string }) {
  const { label, tone } = STATUS[status];
  return (
    <Badge tone={tone} className={className}>
      {label}
    </Badge>
  );
}

export const KIND_LABELS: Record<SlotKind, string> = {
  create: 'New credential',
  create_supplied: 'Value from the agent',
  connect: 'OAuth connection',
  grant: 'Access to existing',
  delete: 'Delete',
};

const TYPE_LABELS: Record<string, string> = { api_key: 'API key', oauth: 'OAuth', password: 'Password', file: 'File' };

export function typeLabel(type: string | null): string | null {
  return type ? (TYPE_LABELS[type] ?? type) : null;
}

export function serviceName(service: string | null): string | null {
  if (!service) return null;
  return getService(service)?.displayName ?? service;
}

/** Overlapping logos of the services a proposal names (at most `max`, then "+N"). */
export function ServiceStack({ services, max = 4 }: { services: Array<string | null>; max?: number }) {
  const unique = [...new Set(services.map((s) => s ?? 'custom'))];
  const shown = unique.slice(0, max);
  return (
    <span className="flex items-center -space-x-1.5" aria-hidden>
      {shown.map((service) => (
        <span key={service} className="flex size-7 items-center justify-center rounded-full border border-slate-200 bg-white ring-2 ring-white">
          <ServiceLogo service={service} name={serviceName(service) ?? service} size={15} />
        </span>
      ))}
      {unique.length > max ? (
        <span className={cn('flex size-7 items-center justify-center rounded-full border border-slate-200 bg-slate-50 text-[10px] font-semibold text-slate-600 ring-2 ring-white')}>
          +{unique.length - max}
        </span>
      ) : null}
    </span>
  );
}
