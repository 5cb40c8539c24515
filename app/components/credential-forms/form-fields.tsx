// Form pieces for credential forms: a labelled field shell, a secret input with a show toggle, and catalog-driven fields.
import { getInputProps, getTextareaProps, type FieldMetadata } from '@conform-to/react';
import { Eye, EyeOff, Info } from 'lucide-react';
import { forwardRef, useState } from 'react';
import { ErrorList, Input, Label } from '~/components/ui/field';
import type { FieldSpec } from '~/credentials/catalog';
import { cn } from '~/utils/misc';

/** Label, control, hint and errors, with ids wired for screen readers (the control gets them from `describe`). */
export function FieldShell({
  id,
  label,
  hint,
  errors,
  optional,
  className,
  children,
}: {
  id: string;
  label: string;
  hint?: React.ReactNode;
  errors?: ReadonlyArray<string> | null;
  optional?: boolean;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <div className={className}>
      <Label htmlFor={id}>
        {label}
        {optional ? <span className="ml-1 font-normal text-slate-500">(optional)</span> : null}
      </Label>
      <div className="mt-1.5">{children}</div>
      {hint ? (
        <p id={`${id}-hint`} className="mt-1.5 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
      <ErrorList id={`${id}-error`} errors={errors} />
    </div>
  );
}

/** aria props for a control inside FieldShell. */
export function describe(id: string, errors: ReadonlyArray<string> | null | undefined, hasHint: boolean) {
  const invalid = Boolean(errors?.length);
  return {
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': [hasHint ? `${id}-hint` : null, invalid ? `${id}-error` : null].filter(Boolean).join(' ') || undefined,
  } as const;
}

/** A password input whose value can be shown while typing; the toggle is client-side only and never submits. */
export const SecretInput = forwardRef<HTMLInputElement, React.InputHTMLAttributes<HTMLInputElement>>(function SecretInput(
  { className, ...props },
  ref,
) {
  const [visible, setVisible] = useState(false);
  return (
    <div className="relative">
      <Input
        ref={ref}
        {...props}
        type={visible ? 'text' : 'password'}
        autoComplete="off"
        spellCheck={false}
        data-secret=""
        className={cn('pr-10 font-mono', className)}
      />
      <button
        type="button"
        onClick={() => setVisible((v) => !v)}
        aria-label={visible ? 'Hide value' : 'Show value'}
        aria-pressed={visible}
        aria-controls={props.id}
        className="absolute inset-y-0 right-0 flex w-9 items-center justify-center rounded-r-lg text-slate-500 hover:text-slate-800 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        {visible ? <EyeOff className="size-4" aria-hidden /> : <Eye className="size-4" aria-hidden />}
      </button>
    </div>
  );
});

const textareaClass =
  'block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 aria-[invalid=true]:ring-red-400';

export function Textarea(props: React.TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <textarea {...props} className={cn(textareaClass, props.className)} />;
}

/**
 * One catalog field (key, username, password, host, …) bound to its conform metadata. Secret fields
 * are password inputs whose key changes with `resetKey`, so a failed submission empties them.
 */
export function CatalogField({
  spec,
  meta,
  resetKey,
}: {
  spec: FieldSpec;
  meta: FieldMetadata<string | undefined>;
  resetKey: number;
}) {
  const errors = meta.errors;
  const aria = describe(meta.id, errors, true);
  const common = { placeholder: spec.placeholder, ...aria };
  let control: React.ReactNode;
  if (spec.secret) {
    const { key: _key, defaultValue: _never, ...props } = getInputProps(meta, { type: 'password', ariaAttributes: false });
    control = <SecretInput key={`${meta.name}-${resetKey}`} {...props} {...common} />;
  } else if (spec.input === 'textarea') {
    const { key, ...props } = getTextareaProps(meta, { ariaAttributes: false });
    control = <Textarea key={key} rows={4} {...props} {...common} />;
  } else {
    const type = spec.input === 'email' ? 'email' : 'text';
    const { key, ...props } = getInputProps(meta, { type, ariaAttributes: false });
    control = (
      <Input
        key={key}
        {...props}
        {...common}
        inputMode={spec.input === 'number' ? 'numeric' : undefined}
        autoComplete="off"
      />
    );
  }
  return (
    <FieldShell id={meta.id} label={spec.label} hint={spec.help} errors={errors} optional={spec.optional}>
      {control}
    </FieldShell>
  );
}

/** The file input of a file credential, with the size limit and (for Google Cloud) what the JSON key is. */
export function FileField({
  id,
  label,
  help,
  accept,
  maxLabel,
  errors,
  isServiceAccount,
  resetKey,
}: {
  id: string;
  label: string;
  help?: string;
  accept?: string;
  maxLabel: string;
  errors?: string[] | null;
  isServiceAccount: boolean;
  resetKey: number;
}) {
  return (
    <div className="space-y-3">
      {isServiceAccount ? (
        <div className="flex gap-2.5 rounded-lg border border-indigo-100 bg-indigo-50/60 px-3 py-2.5 text-sm text-slate-700">
          <Info className="mt-0.5 size-4 shrink-0 text-indigo-600" aria-hidden />
          <p>
            Upload the JSON key of a Google Cloud service account. Latchkey checks that it is a valid service-account key
            and shows its <span className="font-mono text-xs">client_email</span> and project; the private key stays encrypted.
          </p>
        </div>
      ) : null}
      <FieldShell id={id} label={label} hint={`${help ? `${help} ` : ''}Up to ${maxLabel}.`} errors={errors}>
        <input
          key={`file-${resetKey}`}
          id={id}
          name="file"
          type="file"
          accept={accept}
          required
          {...describe(id, errors, true)}
          className="block w-full cursor-pointer rounded-lg text-sm text-slate-700 ring-1 ring-slate-300 ring-inset file:mr-3 file:cursor-pointer file:border-0 file:border-r file:border-slate-200 file:bg-slate-50 file:px-3 file:py-2 file:text-sm file:font-medium file:text-slate-700 hover:file:bg-slate-100 aria-[invalid=true]:ring-red-400"
        />
      </FieldShell>
    </div>
  );
}
