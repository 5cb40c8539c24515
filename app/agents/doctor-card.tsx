// The agent page's Doctor card: each requirement's state (the same check as GET /api/v1/doctor), why, and the one button that fixes it.
import { Form, Link } from '@remix-run/react';
import { CircleCheck, CircleDashed, ExternalLink, Plus, RefreshCw, ShieldCheck, ShieldX, Stethoscope, TriangleAlert } from 'lucide-react';
import { STATUS_ICONS, STATUS_TONES } from '~/components/credentials/status-badge';
import { STATUS_LABELS, TYPE_LABELS } from '~/components/credentials/labels';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Button } from '~/components/ui/button';
import { Badge, Card } from '~/components/ui/card';
import { getService } from '~/credentials/catalog';
import { cn } from '~/utils/misc';
import type { DoctorEntry, DoctorReport, DoctorState } from './requirements';

/** The credential statuses keep their badge; the two states only the doctor has get theirs on the same scale. */
const STATE_BADGES: Record<DoctorState, { label: string; tone: string; icon: typeof CircleCheck }> = {
  ok: { label: 'OK', tone: STATUS_TONES.active, icon: CircleCheck },
  missing: {
    label: 'Missing',
    tone: 'bg-red-50 text-red-700 ring-red-200',
    icon: CircleDashed,
  },
  not_allowed: {
    label: 'Not allowed',
    tone: STATUS_TONES.needs_attention,
    icon: ShieldX,
  },
  expiring: {
    label: STATUS_LABELS.expiring,
    tone: STATUS_TONES.expiring,
    icon: STATUS_ICONS.expiring,
  },
  expired: {
    label: STATUS_LABELS.expired,
    tone: STATUS_TONES.expired,
    icon: STATUS_ICONS.expired,
  },
  needs_attention: {
    label: STATUS_LABELS.needs_attention,
    tone: STATUS_TONES.needs_attention,
    icon: STATUS_ICONS.needs_attention,
  },
  disconnected: {
    label: STATUS_LABELS.disconnected,
    tone: STATUS_TONES.disconnected,
    icon: STATUS_ICONS.disconnected,
  },
};

export function DoctorStateBadge({ state }: { state: DoctorState }) {
  const { label, tone, icon: Icon } = STATE_BADGES[state];
  return (
    <span
      data-testid="doctor-state"
      data-state={state}
      className={cn('inline-flex items-center gap-1 rounded-md px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset', tone)}
    >
      <Icon className="size-3.5" aria-hidden />
      {label}
    </span>
  );
}

/** The fix link as a path on this site (runDoctor's links are absolute, for agents). */
export function fixPath(fixUrl: string): string {
  const url = new URL(fixUrl, 'http://portal.invalid');
  return `${url.pathname}${url.search}${url.hash}`;
}

/** How many entries need a person, in the words of the card's heading. */
export function doctorSummary(entries: readonly Pick<DoctorEntry, 'state'>[]): string {
  const total = entries.length;
  const open = entries.filter((e) => e.state !== 'ok').length;
  const noun = total === 1 ? 'requirement' : 'requirements';
  if (open === 0) return total === 1 ? 'The requirement is met' : `All ${total} ${noun} met`;
  return `${open} of ${total} ${noun} ${open === 1 ? 'needs' : 'need'} a person`;
}

function FixAction({ entry }: { entry: DoctorEntry }) {
  if (entry.state === 'ok' || !entry.fixUrl) return null;
  if (entry.state === 'not_allowed') {
    return (
      <Form method="post" preventScrollReset>
        <input type="hidden" name="intent" value="allow" />
        <input type="hidden" name="name" value={entry.name} />
        <Button type="submit" size="sm" aria-label={`Allow ${entry.name}`}>
          <ShieldCheck className="size-3.5" aria-hidden /> Allow
        </Button>
      </Form>
    );
  }
  const path = fixPath(entry.fixUrl);
  const link =
    entry.state === 'missing'
      ? { label: 'Add credential', icon: Plus, primary: true }
      : entry.state === 'expired' || entry.state === 'expiring'
      ? {
          label: path.endsWith('/connect') ? 'Reconnect' : 'Replace',
          icon: RefreshCw,
          primary: entry.state === 'expired',
        }
      : path.endsWith('/connect')
      ? { label: 'Reconnect', icon: RefreshCw, primary: true }
      : { label: 'Open', icon: ExternalLink, primary: false };
  const Icon = link.icon;
  return (
    <Button asChild size="sm" variant={link.primary ? 'primary' : 'secondary'}>
      <Link to={path} aria-label={`${link.label}: ${entry.name}`}>
        <Icon className="size-3.5" aria-hidden /> {link.label}
      </Link>
    </Button>
  );
}

function DoctorRow({ entry, canManage }: { entry: DoctorEntry; canManage: boolean }) {
  const service = entry.service ? getService(entry.service) : undefined;
  return (
    <li data-testid="doctor-row" data-name={entry.name} className="flex flex-col gap-3 px-4 py-3.5 sm:flex-row sm:items-center sm:gap-4 sm:px-5">
      <div className="flex min-w-0 flex-1 gap-3">
        <span className="flex size-9 shrink-0 items-center justify-center rounded-lg border border-slate-100 bg-slate-50">
          <ServiceLogo service={entry.service ?? ''} name={service?.displayName ?? entry.name} size={20} />
        </span>
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <span className="font-mono text-sm font-medium break-all text-slate-900">{entry.name}</span>
            <DoctorStateBadge state={entry.state} />
            {entry.required ? null : <Badge>Optional</Badge>}
          </div>
          <p className="mt-0.5 text-sm text-slate-600 [overflow-wrap:anywhere]">
            {entry.reason ?? (
              <>
                Ready{service ? <> · {service.displayName}</> : null}
                {entry.type ? <> · {TYPE_LABELS[entry.type as keyof typeof TYPE_LABELS] ?? entry.type}</> : null}
              </>
            )}
          </p>
          {entry.description ? <p className="mt-0.5 text-xs text-slate-500 [overflow-wrap:anywhere]">{entry.description}</p> : null}
        </div>
      </div>
      {canManage && entry.state !== 'ok' && entry.fixUrl ? (
        <div className="flex shrink-0 pl-12 sm:pl-0">
          <FixAction entry={entry} />
        </div>
      ) : null}
    </li>
  );
}

function DoctorEmpty({ canManage }: { canManage: boolean }) {
  return (
    <div className="px-5 py-8 text-center sm:px-8">
      <div className="mx-auto mb-3 flex size-10 items-center justify-center rounded-full bg-indigo-50 text-indigo-600">
        <Stethoscope className="size-5" aria-hidden />
      </div>
      <h3 className="text-sm font-semibold text-slate-900">No requirements declared yet</h3>
      <p className="mx-auto mt-1 max-w-lg text-sm text-slate-500">
        Requirements are the credentials this agent needs, by name. The doctor checks each one exists, is on the allowlist and works, and says what to fix.{' '}
        {canManage ? 'Add them below, or let' : 'An admin adds them here, or'} the agent declare{canManage ? '' : 's'} its own:
      </p>
      <div className="mx-auto mt-4 max-w-lg space-y-2 text-left">
        <pre className="overflow-x-auto rounded-lg bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">
          latchkey requirements set github_token git_ssh:botty
        </pre>
        <pre className="overflow-x-auto rounded-lg bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">PUT /api/v1/agent/requirements</pre>
      </div>
    </div>
  );
}

export function DoctorCard({ report, canManage }: { report: DoctorReport; canManage: boolean }) {
  const entries = report.requirements;
  const open = entries.filter((e) => e.state !== 'ok').length;
  return (
    <div className="space-y-3">
      <div>
        <h2 id="doctor-heading" className="text-sm font-semibold text-slate-900">
          Doctor
        </h2>
        <p className="mt-0.5 text-xs text-slate-500">
          Whether each credential the agent needs exists, is allowed and works now — the same check the agent runs with{' '}
          <code className="font-mono whitespace-nowrap">GET /api/v1/doctor</code>.
        </p>
      </div>
      <Card data-testid="doctor-card">
        {entries.length === 0 ? null : (
          <div className="flex items-center gap-3 border-b border-slate-200 px-4 py-3.5 sm:px-5">
            {open === 0 ? (
              <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-emerald-50 text-emerald-600">
                <CircleCheck className="size-4.5" aria-hidden />
              </span>
            ) : (
              <span
                className={cn(
                  'flex size-8 shrink-0 items-center justify-center rounded-full',
                  report.ok ? 'bg-amber-50 text-amber-600' : 'bg-orange-50 text-orange-600'
                )}
              >
                <TriangleAlert className="size-4.5" aria-hidden />
              </span>
            )}
            <div data-testid="doctor-summary" role="status" className="min-w-0 text-sm">
              <p className="font-semibold text-slate-900">{doctorSummary(entries)}</p>
              {open > 0 ? (
                <p className="text-slate-500">
                  {report.ok ? 'The agent can still work: nothing required is blocked.' : 'The agent is blocked until the required ones are fixed.'}
                </p>
              ) : (
                <p className="text-slate-500">Everything the agent declared is there and working.</p>
              )}
            </div>
          </div>
        )}
        {entries.length === 0 ? (
          <DoctorEmpty canManage={canManage} />
        ) : (
          <ul className="divide-y divide-slate-100">
            {entries.map((entry) => (
              <DoctorRow key={entry.name} entry={entry} canManage={canManage} />
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
