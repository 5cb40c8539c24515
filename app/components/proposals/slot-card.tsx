// One credential of a proposal on the approval page: what it is and where to get it, then by kind the catalog's fields, the agent's value (reveal), Connect or pasted tokens, a grant or a delete.
import { Link, useFetcher } from '@remix-run/react';
import { CircleCheck, Eye, EyeOff, ExternalLink, KeyRound, Link2, Plug, ShieldCheck, TriangleAlert } from 'lucide-react';
import { useState } from 'react';
import { CopyButton } from '~/components/copy-button';
import { describe, FieldShell, SecretInput, Textarea } from '~/components/credential-forms/form-fields';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Button } from '~/components/ui/button';
import { Card } from '~/components/ui/card';
import { ErrorList, Input, Select } from '~/components/ui/field';
import { credentialFieldsFor, getService, type CredentialType, type FieldSpec } from '~/credentials/catalog';
import type { ProposalSlotView } from '~/proposals/proposals';
import { cn } from '~/utils/misc';
import { KIND_LABELS, serviceName, typeLabel } from './proposal-parts';

export interface SlotCardProps {
  slug: string;
  slot: ProposalSlotView;
  /** The person may fill this proposal in and approve it. */
  editable: boolean;
  pending: boolean;
  canReveal: boolean;
  /** The role-matrix sentence when this slot needs an admin and the person is not one. */
  sensitiveDenied: string | null;
  errors: Record<string, string[]>;
  /** Non-secret values typed before a refused approval, by field name. */
  values: Record<string, string>;
  resetKey: number;
  apps: Array<{ id: string; name: string; detail: string }>;
  connectError: string | null;
  /** For a grant or a delete: the organization's credential of that name (null once deleted). */
  existing: { id: string; service: string; type: string } | null;
}

const PASTE_FIELDS: FieldSpec[] = [
  { name: 'accessToken', label: 'Access token', help: 'The token the API accepts.', secret: true },
  { name: 'refreshToken', label: 'Refresh token', help: 'Lets Latchkey keep the access token fresh.', secret: true, optional: true },
  { name: 'expiresAt', label: 'Access token expires at', help: 'An ISO date and time, e.g. 2026-12-31T12:00:00Z.', placeholder: '2026-12-31T12:00:00Z', secret: false, optional: true },
  { name: 'clientId', label: 'Client ID', help: 'Of the OAuth app that issued the tokens (needed to refresh).', secret: false, optional: true },
  { name: 'clientSecret', label: 'Client secret', help: 'Of the same app.', secret: true, optional: true },
];

const fieldId = (slot: string, field: string) => `slot-${slot.replace(/[^A-Za-z0-9_-]/g, '_')}-${field}`;
const nameOf = (slot: string, field: string) => `values.${slot}.${field}`;

export function SlotCard(props: SlotCardProps) {
  const { slot, errors } = props;
  const { existing } = props;
  const service = slot.service ?? existing?.service ?? (slot.kind === 'grant' || slot.kind === 'delete' ? null : 'custom');
  const type = slot.type ?? existing?.type ?? null;
  const slotErrors = errors[`values.${slot.name}`];
  const destructive = slot.kind === 'delete';
  const invalid = Boolean(slotErrors?.length) || Object.keys(errors).some((k) => k.startsWith(`values.${slot.name}.`));
  return (
    <Card data-slot={slot.name} className={cn(destructive && 'border-red-200', invalid && 'border-red-300 ring-1 ring-red-300')}>
      <div className="flex items-start gap-3 border-b border-slate-100 px-4 py-4 sm:px-5">
        <span className={cn('flex size-10 shrink-0 items-center justify-center rounded-lg border', destructive ? 'border-red-100 bg-red-50 text-red-600' : 'border-slate-100 bg-slate-50 text-slate-500')}>
          {service ? <ServiceLogo service={service} name={serviceName(service) ?? service} size={22} /> : <KeyRound className="size-5" aria-hidden />}
        </span>
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <h3 className="font-mono text-sm font-semibold break-all text-slate-900">
              {existing && props.pending ? (
                <Link to={`/orgs/${props.slug}/credentials/${existing.id}`} className="hover:text-indigo-700 hover:underline">
                  {slot.name}
                </Link>
              ) : (
                slot.name
              )}
            </h3>
            <span
              className={cn(
                'rounded-md px-1.5 py-0.5 text-[11px] font-medium ring-1 ring-inset',
                destructive ? 'bg-red-50 text-red-700 ring-red-200' : slot.kind === 'grant' ? 'bg-emerald-50 text-emerald-700 ring-emerald-200' : 'bg-slate-50 text-slate-600 ring-slate-200',
              )}
            >
              {KIND_LABELS[slot.kind]}
            </span>
          </div>
          <p className="mt-0.5 text-sm text-slate-500">{[serviceName(service), typeLabel(type)].filter(Boolean).join(' · ') || 'Existing credential'}</p>
        </div>
      </div>
      <div className="space-y-4 px-4 py-4 sm:px-5">
        {slot.description ? <p className="text-sm text-slate-700 [overflow-wrap:anywhere]">{slot.description}</p> : null}
        {slot.obtain || slot.obtainInstructions ? (
          <div className="rounded-lg bg-slate-50 px-3 py-2.5 text-sm ring-1 ring-slate-100">
            {slot.obtain ? (
              <a href={slot.obtain} target="_blank" rel="noreferrer noopener" className="inline-flex items-center gap-1 font-medium text-indigo-600 hover:text-indigo-500 [overflow-wrap:anywhere]">
                Where to get it
                <ExternalLink className="size-3.5 shrink-0" aria-hidden />
              </a>
            ) : (
              <p className="font-medium text-slate-800">Where to get it</p>
            )}
            {slot.obtainInstructions ? <p className="mt-1 whitespace-pre-wrap text-slate-600 [overflow-wrap:anywhere]">{slot.obtainInstructions}</p> : null}
          </div>
        ) : null}
        {props.sensitiveDenied ? (
          <p className="flex items-start gap-2 text-sm text-amber-800">
            <ShieldCheck className="mt-0.5 size-4 shrink-0 text-amber-600" aria-hidden />
            Needs an admin to approve.
          </p>
        ) : null}
        <SlotBody {...props} />
        <ErrorList id={`${fieldId(slot.name, 'slot')}-error`} errors={slotErrors} />
      </div>
    </Card>
  );
}

function SlotBody(props: SlotCardProps) {
  const { slot, pending } = props;
  if (slot.kind === 'grant') {
    return (
      <p className="flex items-start gap-2 text-sm text-slate-700">
        <Link2 className="mt-0.5 size-4 shrink-0 text-emerald-600" aria-hidden />
        {pending ? 'Exists; approving gives the agent access.' : 'Existed; the agent was given access.'}
      </p>
    );
  }
  if (slot.kind === 'delete') {
    return (
      <div className="flex items-start gap-2.5 rounded-lg border border-red-200 bg-red-50 px-3 py-2.5 text-sm text-red-800">
        <TriangleAlert className="mt-0.5 size-4 shrink-0 text-red-600" aria-hidden />
        <p>
          <span className="font-semibold">Delete {slot.name}.</span> Approving deletes this credential and its value for everyone in the organization; it
          cannot be undone.
        </p>
      </div>
    );
  }
  if (!pending) {
    return slot.credentialId ? (
      <p className="flex items-start gap-2 text-sm text-slate-700">
        <CircleCheck className="mt-0.5 size-4 shrink-0 text-emerald-600" aria-hidden />
        <span>
          Created.{' '}
          <Link to={`/orgs/${props.slug}/credentials/${slot.credentialId}`} className="font-medium text-indigo-600 hover:text-indigo-500">
            Open {slot.name}
          </Link>
        </span>
      </p>
    ) : (
      <p className="text-sm text-slate-500">Not applied.</p>
    );
  }
  if (slot.kind === 'create_supplied') return <SuppliedValue {...props} />;
  if (slot.kind === 'connect') return <ConnectSlot {...props} />;
  return <CatalogFields {...props} />;
}

/** The catalog's fields for the slot's service and type (or its file input), named values.<slot>.<field>. */
function CatalogFields({ slot, editable, errors, values, resetKey, specs }: SlotCardProps & { specs?: readonly FieldSpec[] }) {
  if (!editable) return <p className="text-sm text-slate-500">A person with access fills this in when approving.</p>;
  const fields = specs ?? (slot.service && slot.type ? credentialFieldsFor(slot.service, slot.type as CredentialType) : []);
  if (slot.type === 'file') {
    const id = fieldId(slot.name, 'file');
    const spec = fields.find((f) => f.input === 'file');
    const fieldErrors = errors[nameOf(slot.name, 'file')];
    return (
      <FieldShell id={id} label={spec?.label ?? 'File'} hint={spec?.help} errors={fieldErrors}>
        <input
          key={`${id}-${resetKey}`}
          id={id}
          name={nameOf(slot.name, 'file')}
          type="file"
          accept={spec?.accept}
          {...describe(id, fieldErrors, Boolean(spec?.help))}
          className="block w-full cursor-pointer rounded-lg text-sm text-slate-700 ring-1 ring-slate-300 ring-inset file:mr-3 file:cursor-pointer file:border-0 file:border-r file:border-slate-200 file:bg-slate-50 file:px-3 file:py-2 file:text-sm file:font-medium file:text-slate-700 hover:file:bg-slate-100 aria-[invalid=true]:ring-red-400"
        />
      </FieldShell>
    );
  }
  return (
    <div className="space-y-4">
      {fields.map((spec) => (
        <SlotField key={spec.name} slot={slot.name} spec={spec} errors={errors[nameOf(slot.name, spec.name)]} value={values[nameOf(slot.name, spec.name)]} resetKey={resetKey} />
      ))}
    </div>
  );
}

function SlotField({ slot, spec, errors, value, resetKey }: { slot: string; spec: FieldSpec; errors?: string[]; value?: string; resetKey: number }) {
  const id = fieldId(slot, spec.name);
  const aria = describe(id, errors, Boolean(spec.help));
  const common = { id, name: nameOf(slot, spec.name), placeholder: spec.placeholder, ...aria };
  let control: React.ReactNode;
  if (spec.secret) control = <SecretInput key={`${id}-${resetKey}`} {...common} />;
  else if (spec.input === 'textarea') control = <Textarea key={`${id}-${resetKey}`} rows={3} defaultValue={value} {...common} />;
  else control = <Input key={`${id}-${resetKey}`} type={spec.input === 'email' ? 'email' : 'text'} defaultValue={value} autoComplete="off" {...common} />;
  return (
    <FieldShell id={id} label={spec.label} hint={spec.help} errors={errors} optional={spec.optional}>
      {control}
    </FieldShell>
  );
}

/** The agent's value, masked; admins reveal it (audited, never cached) or enter a different one. */
function SuppliedValue(props: SlotCardProps) {
  const { slot, canReveal, editable, errors } = props;
  const fetcher = useFetcher<{ intent: string; position: number; fields?: Array<{ name: string; label: string; value: string }>; message?: string }>();
  const [replacing, setReplacing] = useState(() => Object.keys(errors).some((k) => k.startsWith(`values.${slot.name}.`)));
  const [hidden, setHidden] = useState(false);
  const revealed = fetcher.data?.position === slot.position && fetcher.data.fields && !hidden ? fetcher.data.fields : null;
  const revealError = fetcher.data?.position === slot.position ? fetcher.data.message : null;
  return (
    <div className="space-y-3">
      <div className="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2.5">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <span className="text-xs font-medium tracking-wide text-slate-500 uppercase">Value supplied by the agent</span>
          {canReveal ? (
            revealed ? (
              <Button type="button" size="sm" variant="ghost" onClick={() => setHidden(true)}>
                <EyeOff className="size-3.5" aria-hidden />
                Hide
              </Button>
            ) : (
              <Button
                type="button"
                size="sm"
                variant="secondary"
                disabled={fetcher.state !== 'idle'}
                onClick={() => {
                  setHidden(false);
                  fetcher.submit({ intent: 'reveal', position: String(slot.position) }, { method: 'post' });
                }}
              >
                <Eye className="size-3.5" aria-hidden />
                {fetcher.state !== 'idle' ? 'Revealing…' : 'Reveal'}
              </Button>
            )
          ) : null}
        </div>
        {revealed ? (
          <ul className="mt-2 space-y-2" aria-label={`Value of ${slot.name}`}>
            {revealed.map((f) => (
              <li key={f.name} className="flex items-start justify-between gap-2">
                <span className="min-w-0">
                  {revealed.length > 1 ? <span className="block text-xs text-slate-500">{f.label}</span> : null}
                  <span className="font-mono text-sm break-all text-slate-900" data-revealed-value={f.name}>
                    {f.value}
                  </span>
                </span>
                <CopyButton value={f.value} label={`Copy ${f.label.toLowerCase()}`} />
              </li>
            ))}
          </ul>
        ) : (
          <p className="mt-1 font-mono text-sm tracking-widest text-slate-400" aria-label="Hidden value">
            ••••••••••••
          </p>
        )}
        {revealed ? <p className="mt-2 text-xs text-slate-500">Revealing is recorded in the audit log.</p> : null}
        <ErrorList errors={revealError ? [revealError] : null} />
      </div>
      {editable ? (
        replacing ? (
          <div className="space-y-3 rounded-lg border border-dashed border-slate-300 p-3">
            <div className="flex items-center justify-between gap-2">
              <p className="text-sm font-medium text-slate-800">A different value instead</p>
              <button type="button" onClick={() => setReplacing(false)} className="text-sm font-medium text-slate-500 hover:text-slate-800">
                Use the agent’s value
              </button>
            </div>
            <CatalogFields {...props} />
          </div>
        ) : (
          <button type="button" onClick={() => setReplacing(true)} className="text-sm font-medium text-indigo-600 hover:text-indigo-500">
            Enter a different value instead
          </button>
        )
      ) : null}
    </div>
  );
}

/** Connect with the organization's OAuth app (the tokens wait, sealed, until approval), or paste tokens. */
function ConnectSlot(props: SlotCardProps) {
  const { slot, editable, errors, apps, connectError } = props;
  const [pasting, setPasting] = useState(() => Object.keys(errors).some((k) => k.startsWith(`values.${slot.name}.`)));
  const formId = `connect-${slot.position}`;
  const provider = getService(slot.service ?? '')?.displayName ?? 'the provider';
  return (
    <div className="space-y-3">
      {slot.oauth?.scopes.length ? (
        <p className="text-sm text-slate-600">
          Scopes:{' '}
          {slot.oauth.scopes.map((s) => (
            <code key={s} className="mr-1 rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">
              {s}
            </code>
          ))}
        </p>
      ) : null}
      {slot.connected ? (
        <p className="flex items-center gap-2 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          <Plug className="size-4 text-emerald-600" aria-hidden />
          Connected as <span className="font-semibold">{slot.connected.account ?? 'an account'}</span>. The tokens wait, sealed, until you approve.
        </p>
      ) : null}
      {editable ? (
        <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
          {apps.length > 1 ? (
            <Select name="appId" form={formId} aria-label={`OAuth app to connect ${slot.name} with`} className="sm:max-w-xs">
              {apps.map((app) => (
                <option key={app.id} value={app.id}>
                  {app.name} ({app.detail})
                </option>
              ))}
            </Select>
          ) : null}
          <Button type="submit" form={formId} name="intent" value="connect" variant={slot.connected ? 'secondary' : 'primary'}>
            <Plug className="size-4" aria-hidden />
            {slot.connected ? 'Connect again' : `Connect with ${provider}`}
          </Button>
          {!pasting ? (
            <button type="button" onClick={() => setPasting(true)} className="text-sm font-medium text-indigo-600 hover:text-indigo-500 sm:ml-2">
              Paste tokens instead
            </button>
          ) : null}
        </div>
      ) : null}
      <ErrorList errors={connectError ? [connectError] : null} />
      {editable && pasting ? (
        <div className="space-y-4 rounded-lg border border-dashed border-slate-300 p-3">
          <div className="flex items-center justify-between gap-2">
            <p className="text-sm font-medium text-slate-800">Paste tokens</p>
            <button type="button" onClick={() => setPasting(false)} className="text-sm font-medium text-slate-500 hover:text-slate-800">
              Cancel
            </button>
          </div>
          <CatalogFields {...props} specs={PASTE_FIELDS} />
        </div>
      ) : null}
    </div>
  );
}
