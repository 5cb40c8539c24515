// Form fields for where a credential's requests go: base URL, where a Custom key goes, and the upstream timeout (Advanced).
import { getInputProps, type FieldMetadata } from '@conform-to/react';
import { ChevronRight } from 'lucide-react';
import { describe, FieldShell } from '~/components/credential-forms/form-fields';
import { ErrorList, Input, Label } from '~/components/ui/field';
import type { ConnectionSpec } from '~/credentials/connection';
import { UPSTREAM_TIMEOUT_MAX_SECONDS } from '~/credentials/schemas';
import { cn } from '~/utils/misc';

export function BaseUrlField({ meta, spec, name }: { meta: FieldMetadata<string | undefined>; spec: ConnectionSpec; name: string }) {
  const { key, ...props } = getInputProps(meta, { type: 'url', ariaAttributes: false });
  const hint = spec.catalogBaseUrl ? (
    <>
      Agents’ requests to <span className="font-mono">/api/v1/proxy/{name || 'NAME'}/…</span> go here. Change it for a self-hosted or regional
      endpoint (GitHub Enterprise, Azure OpenAI, an EU region); clear it to follow the catalog’s{' '}
      <span className="font-mono break-all">{spec.catalogBaseUrl}</span>.
    </>
  ) : (
    <>
      The address agents’ requests to <span className="font-mono">/api/v1/proxy/{name || 'NAME'}/…</span> are forwarded to, for example{' '}
      <span className="font-mono">https://api.example.com/v1</span>.
    </>
  );
  return (
    <FieldShell id={meta.id} label="Base URL" optional={!spec.baseUrlRequired} hint={hint} errors={meta.errors}>
      <Input
        key={key}
        {...props}
        {...describe(meta.id, meta.errors, true)}
        inputMode="url"
        autoComplete="off"
        spellCheck={false}
        placeholder={spec.catalogBaseUrl ?? 'https://api.example.com'}
        className="font-mono"
      />
    </FieldShell>
  );
}

type InjectionFieldset = {
  kind: FieldMetadata<string | undefined>;
  header: FieldMetadata<string | undefined>;
  scheme: FieldMetadata<string | undefined>;
  param: FieldMetadata<string | undefined>;
};

/**
 * "Where the key goes" for a Custom API key: a header (name and optional scheme) or a query parameter.
 * The inputs of the choice not taken hide through CSS (:has), so the form works the same without JavaScript.
 */
export function InjectionFields({ meta }: { meta: FieldMetadata<unknown> }) {
  const fields = (meta as unknown as { getFieldset(): InjectionFieldset }).getFieldset();
  const kind = (fields.kind.initialValue as string | undefined) === 'query' ? 'query' : 'header';
  const choice = (value: 'header' | 'query', label: string, description: string) => (
    <label
      className={cn(
        'flex cursor-pointer gap-3 rounded-lg border border-slate-200 p-3 text-sm has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50/40 has-[:checked]:ring-1 has-[:checked]:ring-indigo-500',
        'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-indigo-600',
      )}
    >
      <input
        type="radio"
        name={fields.kind.name}
        value={value}
        defaultChecked={kind === value}
        className="mt-0.5 size-4 accent-indigo-600"
        aria-describedby={`${fields.kind.id}-${value}-desc`}
      />
      <span>
        <span className="block font-medium text-slate-900">{label}</span>
        <span id={`${fields.kind.id}-${value}-desc`} className="block text-xs text-slate-500">
          {description}
        </span>
      </span>
    </label>
  );
  const text = (field: FieldMetadata<string | undefined>, props: React.InputHTMLAttributes<HTMLInputElement>) => {
    const { key, ...inputProps } = getInputProps(field, { type: 'text', ariaAttributes: false });
    return <Input key={key} {...inputProps} {...describe(field.id, field.errors, true)} autoComplete="off" spellCheck={false} className="font-mono" {...props} />;
  };
  return (
    <fieldset className="group min-w-0 space-y-3">
      <legend className="text-sm font-medium text-slate-800">Where the key goes</legend>
      <div className="grid gap-2 sm:grid-cols-2">
        {choice('header', 'Header', 'Authorization: Bearer …, X-API-Key: …')}
        {choice('query', 'Query parameter', '…/path?api_key=…')}
      </div>
      <ErrorList id={`${fields.kind.id}-error`} errors={fields.kind.errors} />
      <div className="grid gap-3 sm:grid-cols-2 group-has-[input[value=query]:checked]:hidden">
        <FieldShell id={fields.header.id} label="Header name" hint="For example Authorization or X-API-Key." errors={fields.header.errors}>
          {text(fields.header, { placeholder: 'Authorization' })}
        </FieldShell>
        <FieldShell id={fields.scheme.id} label="Scheme" optional hint="Sent before the key, such as Bearer. Leave empty to send the key alone." errors={fields.scheme.errors}>
          {text(fields.scheme, { placeholder: 'Bearer' })}
        </FieldShell>
      </div>
      <div className="hidden group-has-[input[value=query]:checked]:block">
        <FieldShell id={fields.param.id} label="Parameter name" hint="Latchkey adds it to every request’s query string, replacing one the agent sent." errors={fields.param.errors} className="sm:max-w-[50%] sm:pr-1.5">
          {text(fields.param, { placeholder: 'api_key' })}
        </FieldShell>
      </div>
    </fieldset>
  );
}

/** The Advanced section: per-credential upstream timeout (stored as settings.upstreamTimeoutMs). */
export function AdvancedFields({ timeout }: { timeout: FieldMetadata<number | undefined> }) {
  const { key, ...props } = getInputProps(timeout, { type: 'number', ariaAttributes: false });
  const hasValue = timeout.initialValue !== undefined && timeout.initialValue !== '';
  return (
    <details className="group/adv rounded-lg border border-slate-200" open={Boolean(timeout.errors?.length) || hasValue || undefined}>
      <summary className="flex cursor-pointer list-none items-center gap-2 rounded-lg px-3 py-2.5 text-sm font-medium text-slate-800 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600 [&::-webkit-details-marker]:hidden">
        <ChevronRight className="size-4 text-slate-400 transition-transform group-open/adv:rotate-90" aria-hidden />
        Advanced
      </summary>
      <div className="border-t border-slate-200 px-3 py-3">
        <Label htmlFor={timeout.id}>
          Upstream timeout<span className="ml-1 font-normal text-slate-500">(optional)</span>
        </Label>
        <div className="mt-1.5 flex max-w-[13rem] items-center gap-2">
          <Input
            key={key}
            {...props}
            {...describe(timeout.id, timeout.errors, true)}
            min={1}
            max={UPSTREAM_TIMEOUT_MAX_SECONDS}
            step={1}
            inputMode="numeric"
            placeholder="Default"
          />
          <span className="text-sm text-slate-500">seconds</span>
        </div>
        <p id={`${timeout.id}-hint`} className="mt-1.5 text-xs text-slate-500">
          How long Latchkey waits for the service to start answering before the agent gets 504. Raise it for long model calls; leave it empty for the
          server’s default. At most {UPSTREAM_TIMEOUT_MAX_SECONDS / 60} minutes.
        </p>
        <ErrorList id={`${timeout.id}-error`} errors={timeout.errors} />
      </div>
    </details>
  );
}
