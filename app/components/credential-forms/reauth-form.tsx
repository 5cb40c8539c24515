// "Confirm it's you": the password form shown before a secret is revealed or downloaded.
import { getFormProps, getInputProps, useForm, type SubmissionResult } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { Form, useNavigation } from '@remix-run/react';
import { ShieldCheck } from 'lucide-react';
import { z } from 'zod';
import { describe, FieldShell, SecretInput } from '~/components/credential-forms/form-fields';
import { Button } from '~/components/ui/button';
import { FormError } from '~/components/ui/field';

export const reauthSchema = z.object({
  password: z.string({ error: 'Enter your password' }).min(1, 'Enter your password').max(1024),
});

export function ReauthForm({ lastResult, email, message }: { lastResult?: SubmissionResult<string[]>; email: string; message?: string }) {
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: 'reauth',
    lastResult,
    constraint: getZodConstraint(reauthSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: reauthSchema }),
    shouldValidate: 'onSubmit',
  });
  const { key: _key, defaultValue: _never, ...passwordProps } = getInputProps(fields.password, { type: 'password', ariaAttributes: false });
  return (
    <Form method="post" className="space-y-4 px-5 py-5" {...getFormProps(form)}>
      <input type="hidden" name="intent" value="reauth" />
      <div className="flex gap-3">
        <span className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-indigo-50 text-indigo-600">
          <ShieldCheck className="size-4.5" aria-hidden />
        </span>
        <div>
          <h2 className="text-sm font-semibold text-slate-900">Confirm it’s you</h2>
          <p className="mt-0.5 text-sm text-slate-500">
            {message ?? 'Re-enter your password to see this value. You will not be asked again for 5 minutes.'}
          </p>
        </div>
      </div>
      <FormError id={form.errorId} errors={form.errors} />
      {/* Lets password managers match the account. */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <FieldShell id={fields.password.id} label="Password" errors={fields.password.errors}>
        <SecretInput
          {...passwordProps}
          {...describe(fields.password.id, fields.password.errors, false)}
          autoComplete="current-password"
          className="font-sans"
        />
      </FieldShell>
      <div className="flex justify-end">
        <Button type="submit" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? 'Checking…' : 'Confirm password'}
        </Button>
      </div>
    </Form>
  );
}
