// The detail page's connection card: where agents' requests go (and who last moved the host), how the value is sent, and the non-secret fields.
import { Link } from '@remix-run/react';
import { AlertTriangle } from 'lucide-react';
import { RelativeTime } from '~/components/credentials/relative-time';
import { Badge, Card } from '~/components/ui/card';
import type { CredentialConnectionView } from '~/credentials/connection';

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="mt-1 min-w-0 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

export function ConnectionCard({ connection: c, editHref, now }: { connection: CredentialConnectionView; editHref: string | null; now: Date | string }) {
  if (!c.injectable && c.fields.length === 0) return null;
  return (
    <Card className="p-5" aria-labelledby="connection-heading" role="region">
      <div className="flex items-center justify-between gap-3">
        <h2 id="connection-heading" className="text-sm font-semibold text-slate-900">
          Connection
        </h2>
        {editHref && c.injectable ? (
          <Link
            to={editHref}
            className="rounded-sm text-xs font-medium text-indigo-600 hover:text-indigo-500 focus-visible:outline-2 focus-visible:outline-indigo-600"
          >
            Change
          </Link>
        ) : null}
      </div>
      <dl className="mt-4 grid gap-x-6 gap-y-5 sm:grid-cols-2">
        {c.injectable ? (
          <div className="sm:col-span-2">
            <dt className="text-xs font-medium text-slate-500">Base URL</dt>
            <dd className="mt-1 text-sm text-slate-900" data-testid="connection-base-url">
              {c.baseUrl ? (
                <span className="flex flex-wrap items-center gap-2">
                  <span className="font-mono break-all">{c.baseUrl.url}</span>
                  <Badge tone={c.baseUrl.source === 'custom' ? 'indigo' : 'slate'}>{c.baseUrl.source === 'custom' ? 'Custom' : 'From the catalog'}</Badge>
                </span>
              ) : (
                <span className="flex items-start gap-2 text-amber-800">
                  <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
                  Not set: agents get 409 no_base_url until someone sets one.
                </span>
              )}
              {c.lastHostChange ? (
                <span className="mt-1 block text-xs text-slate-500" data-testid="connection-host-change">
                  Host changed from <span className="font-mono">{c.lastHostChange.fromHost ?? 'none'}</span> to{' '}
                  <span className="font-mono">{c.lastHostChange.toHost ?? 'none'}</span> <RelativeTime date={c.lastHostChange.at} now={now} className="whitespace-nowrap" /> by{' '}
                  {c.lastHostChange.actorLabel}
                </span>
              ) : null}
            </dd>
          </div>
        ) : null}
        {c.injection ? (
          <Row label="Sent as">
            <span className="font-mono text-[0.8125rem]">{c.injection}</span>
          </Row>
        ) : null}
        {c.injectable ? (
          <Row label="Upstream timeout">
            {c.upstreamTimeoutMs ? `${c.upstreamTimeoutMs / 1000} seconds` : <span className="text-slate-500">Server default</span>}
          </Row>
        ) : null}
        {c.fields.map((field) => (
          <Row key={field.name} label={field.label}>
            <span className="font-mono break-all" data-testid={`connection-field-${field.name}`}>
              {field.value}
            </span>
          </Row>
        ))}
      </dl>
    </Card>
  );
}
