// Edit a credential's name, description, expiry and connection (base URL, where a Custom key goes, upstream timeout); never its value.
import { getFormProps, getInputProps, getTextareaProps, useForm, type FieldMetadata, type SubmissionResult } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useMemo } from 'react';
import type { z } from 'zod';
import { AdvancedFields, BaseUrlField, InjectionFields } from '~/components/credential-forms/connection-fields';
import { ExpiryField } from '~/components/credential-forms/expiry-field';
import { describe, FieldShell, Textarea } from '~/components/credential-forms/form-fields';
import { CredentialFormCard } from '~/components/credential-forms/form-card';
import { httpErrorFor, replyWithErrors, requireOwnCredential } from '~/components/credential-forms/route-helpers.server';
import { Button } from '~/components/ui/button';
import { FormError, Input } from '~/components/ui/field';
import { credentialActor } from '~/credentials/actor.server';
import { connectionSpecFor, DEFAULT_CUSTOM_INJECTION, effectiveBaseUrl } from '~/credentials/connection';
import { updateCredentialMetadata } from '~/credentials/credentials.server';
import { CredentialError } from '~/credentials/errors';
import { expiryFormValues, FALLBACK_TIME_ZONE } from '~/credentials/expiry';
import { connectionFromForm, editCredentialSchema, expiryFromEditForm } from '~/credentials/schemas';
import { parseCredentialSettings } from '~/credentials/settings';
import { assertMemberCan, requireMembership } from '~/orgs/membership.server';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Edit credential · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.edit');
  const credential = await requireOwnCredential(ctx, request, params.id);
  assertMemberCan(ctx, 'credential.edit', credential);
  const settings = parseCredentialSettings(credential.settings);
  const spec = connectionSpecFor(credential.service, credential.type);
  return {
    slug: ctx.organization.slug,
    credential: {
      id: credential.id,
      name: credential.name,
      service: credential.service,
      type: credential.type,
      description: credential.description ?? '',
      // The instant; the form shows it in the browser's time zone (UTC until the browser says).
      expiresAt: credential.type === 'oauth' ? null : (credential.expiresAt?.toISOString() ?? null),
      baseUrl: effectiveBaseUrl(credential.service, credential.type, settings)?.url ?? '',
      injection: spec.injectionConfigurable ? (settings.injection ?? DEFAULT_CUSTOM_INJECTION) : null,
      upstreamTimeoutSeconds: settings.upstreamTimeoutMs ? settings.upstreamTimeoutMs / 1000 : null,
    },
  };
}

type ActionData = { result: SubmissionResult<string[]> };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.edit');
  const credential = await requireOwnCredential(ctx, request, params.id);
  assertMemberCan(ctx, 'credential.edit', credential);
  const formData = await readFormData(request);
  const submission = parseWithZod(formData, { schema: editCredentialSchema(credential.service, credential.type) });
  if (submission.status !== 'success') return data<ActionData>({ result: submission.reply() }, { status: 400 });
  const value = submission.value;
  try {
    const updated = await updateCredentialMetadata(credentialActor(ctx, request, context), credential.id, {
      name: value.name,
      description: value.description,
      // OAuth credentials have no expiry field: the provider's answer sets it, and refreshes follow it.
      ...(credential.type === 'oauth' ? {} : { expiresAt: expiryFromEditForm(credential.expiresAt, value as { expiresAt?: string; expiresTime?: string; timeZone?: string }) }),
      ...connectionFromForm(credential.service, credential.type, value),
    });
    return redirectWithToast(`/orgs/${ctx.organization.slug}/credentials/${updated.id}`, {
      type: 'success',
      title: `Saved ${updated.name}`,
    });
  } catch (error) {
    if (!(error instanceof CredentialError) || error.code === 'not_found' || error.code === 'forbidden') throw httpErrorFor(error);
    return data<ActionData>({ result: replyWithErrors(submission, error, []) }, { status: error.status });
  }
}

export default function EditCredentialPage() {
  const { slug, credential } = useLoaderData<typeof loader>();
  const lastResult = (useActionData() as ActionData | undefined)?.result;
  const navigation = useNavigation();
  const schema = useMemo(() => editCredentialSchema(credential.service, credential.type), [credential.service, credential.type]);
  const connection = connectionSpecFor(credential.service, credential.type);
  const isOAuth = credential.type === 'oauth';
  const shownExpiry = expiryFormValues(credential.expiresAt, FALLBACK_TIME_ZONE);
  const [form, fields] = useForm<z.input<ReturnType<typeof editCredentialSchema>> & { expiresAt?: string; expiresTime?: string }>({
    id: `edit-${credential.id}`,
    lastResult,
    defaultValue: {
      name: credential.name,
      description: credential.description,
      expiresAt: shownExpiry.date,
      expiresTime: shownExpiry.time,
      baseUrl: credential.baseUrl,
      injection: (credential.injection ?? undefined) as never,
      upstreamTimeoutSeconds: (credential.upstreamTimeoutSeconds ?? undefined) as never,
    },
    constraint: getZodConstraint(schema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const detail = `/orgs/${slug}/credentials/${credential.id}`;
  return (
    <CredentialFormCard
      slug={slug}
      credential={credential}
      title="Edit details"
      description={
        isOAuth
          ? 'Rename the credential or change its description and where agents’ requests go. Its expiry comes from the provider; the tokens do not change.'
          : 'Rename the credential or change its description, expiry and where agents’ requests go. The stored value does not change.'
      }
    >
      <Form method="post" className="space-y-5 px-5 py-5" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        <FieldShell
          id={fields.name.id}
          label="Name"
          hint='Letters, digits, "-", "_" and ":". Agents that ask for the old name will no longer find it.'
          errors={fields.name.errors}
        >
          <Input
            {...getInputProps(fields.name, { type: 'text', ariaAttributes: false })}
            key={fields.name.key}
            {...describe(fields.name.id, fields.name.errors, true)}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
          />
        </FieldShell>
        {connection.injectable ? (
          <BaseUrlField meta={fields.baseUrl as FieldMetadata<string | undefined>} spec={connection} name={String(fields.name.value ?? credential.name)} />
        ) : null}
        {connection.injectionConfigurable ? <InjectionFields meta={fields.injection} /> : null}
        <FieldShell id={fields.description.id} label="Description" optional errors={fields.description.errors}>
          <Textarea
            {...getTextareaProps(fields.description, { ariaAttributes: false })}
            key={fields.description.key}
            {...describe(fields.description.id, fields.description.errors, false)}
            rows={3}
          />
        </FieldShell>
        {isOAuth ? null : (
          <ExpiryField date={fields.expiresAt} time={fields.expiresTime} current={credential.expiresAt} submitted={lastResult !== undefined} />
        )}
        {connection.injectable ? <AdvancedFields timeout={fields.upstreamTimeoutSeconds as FieldMetadata<number | undefined>} /> : null}
        <div className="flex flex-col-reverse gap-2 border-t border-slate-200 pt-5 sm:flex-row sm:justify-end">
          <Button asChild variant="secondary">
            <Link to={detail}>Cancel</Link>
          </Button>
          <Button type="submit" disabled={navigation.state === 'submitting'}>
            {navigation.state === 'submitting' ? 'Saving…' : 'Save changes'}
          </Button>
        </div>
      </Form>
    </CredentialFormCard>
  );
}
