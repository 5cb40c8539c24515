// The frame of the per-credential pages (edit, replace, reveal): back link, service logo, name and a card.
import { Link } from '@remix-run/react';
import { ArrowLeft } from 'lucide-react';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Card } from '~/components/ui/card';
import { getService } from '~/credentials/catalog';

const TYPE_LABELS: Record<string, string> = { api_key: 'API key', password: 'Password', file: 'File', oauth: 'OAuth' };

export function CredentialFormCard({
  slug,
  credential,
  title,
  description,
  children,
}: {
  slug: string;
  credential: { id: string; name: string; service: string; type: string };
  title: string;
  description?: React.ReactNode;
  children: React.ReactNode;
}) {
  const service = getService(credential.service);
  return (
    <div className="mx-auto max-w-2xl space-y-4">
      <Link
        to={`/orgs/${slug}/credentials/${credential.id}`}
        className="inline-flex items-center gap-1.5 text-sm font-medium text-slate-600 hover:text-slate-900"
      >
        <ArrowLeft className="size-4" aria-hidden />
        Back to {credential.name}
      </Link>
      <Card>
        <div className="flex items-center gap-3 border-b border-slate-200 px-5 py-4">
          <span className="flex size-10 shrink-0 items-center justify-center rounded-lg border border-slate-100 bg-slate-50">
            <ServiceLogo service={credential.service} name={service?.displayName ?? credential.service} size={22} />
          </span>
          <div className="min-w-0">
            <h1 className="text-base font-semibold text-slate-900">{title}</h1>
            <p className="truncate text-sm text-slate-500">
              <span className="font-mono text-slate-700">{credential.name}</span> · {service?.displayName ?? credential.service} ·{' '}
              {TYPE_LABELS[credential.type] ?? credential.type}
            </p>
          </div>
        </div>
        {description ? <p className="px-5 pt-4 text-sm text-slate-600">{description}</p> : null}
        {children}
      </Card>
    </div>
  );
}
