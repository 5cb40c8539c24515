// Step 1 of "Add credential": the credential type cards and the searchable grid of catalog services.
import { Form, Link } from '@remix-run/react';
import { FileKey2, KeyRound, Link2, Search, UserRound } from 'lucide-react';
import { useMemo, useState } from 'react';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Input } from '~/components/ui/field';
import { servicesForType, type CredentialType } from '~/credentials/catalog';
import { cn } from '~/utils/misc';

export const TYPE_CHOICES: ReadonlyArray<{ type: CredentialType; label: string; description: string; icon: typeof KeyRound }> = [
  { type: 'api_key', label: 'API key', description: 'A token or key the service issued.', icon: KeyRound },
  { type: 'oauth', label: 'OAuth', description: 'Connect an account; tokens refresh themselves.', icon: Link2 },
  { type: 'password', label: 'Password', description: 'A username and password pair.', icon: UserRound },
  { type: 'file', label: 'File', description: 'A key file, certificate or service-account JSON.', icon: FileKey2 },
];

/** `&name=…` for the step links when a name was asked for (`?name=`), so it reaches the form. */
function nameSuffix(name: string | null | undefined): string {
  return name ? `&name=${encodeURIComponent(name)}` : '';
}

/** The four type cards; the chosen one is highlighted and each is a plain link (works without JS). */
export function TypePicker({ base, selected, name }: { base: string; selected: CredentialType | null; name?: string | null }) {
  return (
    <nav aria-label="Credential type">
      <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {TYPE_CHOICES.map(({ type, label, description, icon: Icon }) => {
          const active = type === selected;
          return (
            <li key={type}>
              <Link
                to={`${base}?type=${type}${nameSuffix(name)}`}
                aria-current={active ? 'true' : undefined}
                className={cn(
                  'flex h-full gap-3 rounded-lg border bg-white p-4 shadow-sm transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
                  active ? 'border-indigo-500 ring-1 ring-indigo-500' : 'border-slate-200 hover:border-slate-300 hover:bg-slate-50',
                )}
              >
                <span
                  className={cn(
                    'flex size-9 shrink-0 items-center justify-center rounded-lg',
                    active ? 'bg-indigo-600 text-white' : 'bg-indigo-50 text-indigo-600',
                  )}
                >
                  <Icon className="size-4.5" aria-hidden />
                </span>
                <span className="min-w-0">
                  <span className="block text-sm font-semibold text-slate-900">{label}</span>
                  <span className="mt-0.5 block text-xs text-slate-500">{description}</span>
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

const CATEGORY_LABELS: Record<string, string> = {
  ai: 'AI',
  developer: 'Developer',
  productivity: 'Productivity',
  communication: 'Communication',
  payments: 'Payments',
  cloud: 'Cloud',
  crm: 'CRM',
  database: 'Database',
  other: 'Any service',
};

/**
 * Services offering `type`, filtered as the person types (with JS) or by the submitted `q` (without).
 * Each service links to the step-2 form; Custom stays last.
 */
export function ServicePicker({ base, type, initialQuery, name }: { base: string; type: CredentialType; initialQuery: string; name?: string | null }) {
  const [query, setQuery] = useState(initialQuery);
  const services = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = servicesForType(type);
    const matches = q
      ? all.filter((s) => s.displayName.toLowerCase().includes(q) || s.id.includes(q) || s.category.includes(q))
      : all;
    // Custom is always offered, so nobody is stuck when their service is not in the catalog.
    const custom = all.find((s) => s.id === 'custom');
    const rest = matches.filter((s) => s.id !== 'custom');
    return custom ? [...rest, custom] : rest;
  }, [query, type]);

  return (
    <section aria-labelledby="service-heading" className="space-y-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <h2 id="service-heading" className="text-sm font-semibold text-slate-900">
          Choose a service
        </h2>
        <Form method="get" role="search" className="relative w-full sm:w-72" onSubmit={(e) => e.preventDefault()}>
          <input type="hidden" name="type" value={type} />
          {name ? <input type="hidden" name="name" value={name} /> : null}
          <Search className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400" aria-hidden />
          <Input
            type="search"
            name="q"
            aria-label="Search services"
            placeholder="Search services"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            className="pl-9"
          />
        </Form>
      </div>
      <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4" aria-label="Services">
        {services.map((service) => (
          <li key={service.id}>
            <Link
              to={`${base}?type=${type}&service=${service.id}${nameSuffix(name)}`}
              className="flex h-full items-center gap-3 rounded-lg border border-slate-200 bg-white p-3 shadow-sm transition-colors hover:border-indigo-300 hover:bg-indigo-50/40 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
            >
              <span className="flex size-9 shrink-0 items-center justify-center rounded-lg border border-slate-100 bg-slate-50">
                <ServiceLogo service={service.id} name={service.displayName} size={20} />
              </span>
              <span className="min-w-0">
                <span className="block truncate text-sm font-medium text-slate-900">{service.displayName}</span>
                <span className="block truncate text-xs text-slate-500">{CATEGORY_LABELS[service.category] ?? service.category}</span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
      {services.length === 1 && query.trim() ? (
        <p className="text-sm text-slate-500">No service matches “{query.trim()}”. Use Custom for anything else.</p>
      ) : null}
    </section>
  );
}
