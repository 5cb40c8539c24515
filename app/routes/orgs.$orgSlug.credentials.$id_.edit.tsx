// Edit a credential's name, description and expiry (never its value); owners and admins only.
import { getFormProps, getInputProps, getTextareaProps, useForm, type SubmissionResult } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { describe, FieldShell, Textarea } from '~/components/credential-forms/form-fields';
import { CredentialFormCard } from '~/components/credential-forms/form-card';
import { httpErrorFor, replyWithErrors, requireOwnCredential } from '~/components/credential-forms/route-helpers.server';
import { Button } from '~/components/ui/button';
import { FormError, Input } from '~/components/ui/field';
import { credentialActor } from '~/credentials/actor.server';
import { updateCredentialMetadata } from '~/credentials/credentials.server';
import { CredentialError } from '~/credentials/errors';
import { credentialMetadataUpdateSchema, credentialNameSchema } from '~/credentials/schemas';
import { requireMembership } from '~/orgs/membership.server';
import { redirectWithToast } from '~/utils/toast.server';

/** The edit form always sends every field: the name is required, an empty description or expiry clears it. */
const editFormSchema = credentialMetadataUpdateSchema.extend({
  name: credentialNameSchema,
  description: credentialMetadataUpdateSchema.shape.description.unwrap().optional().default(''),
});

export const meta: MetaFunction = () => [{ title: 'Edit credential · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'admin');
  const credential = await requireOwnCredential(ctx, request, params.id);
  return {
    slug: ctx.organization.slug,
    credential: {
      id: credential.id,
      name: credential.name,
      service: credential.service,
      type: credential.type,
      description: credential.description ?? '',
      expiresAt: credential.expiresAt ? credential.expiresAt.toISOString().slice(0, 10) : '',
    },
  };
}

type ActionData = { result: SubmissionResult<string[]> };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'admin');
  const credential = await requireOwnCredential(ctx, request, params.id);
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: editFormSchema });
  if (submission.status !== 'success') return data<ActionData>({ result: submission.reply() }, { status: 400 });
  try {
    const updated = await updateCredentialMetadata(credentialActor(ctx, request, context), credential.id, {
      name: submission.value.name,
      description: submission.value.description,
      expiresAt: submission.value.expiresAt ?? null,
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
  const [form, fields] = useForm({
    id: `edit-${credential.id}`,
    lastResult,
    defaultValue: { name: credential.name, description: credential.description, expiresAt: credential.expiresAt },
    constraint: getZodConstraint(editFormSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: editFormSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const detail = `/orgs/${slug}/credentials/${credential.id}`;
  return (
    <CredentialFormCard
      slug={slug}
      credential={credential}
      title="Edit details"
      description="Rename the credential or change its description and expiry. The stored value does not change."
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
        <FieldShell id={fields.description.id} label="Description" optional errors={fields.description.errors}>
          <Textarea
            {...getTextareaProps(fields.description, { ariaAttributes: false })}
            key={fields.description.key}
            {...describe(fields.description.id, fields.description.errors, false)}
            rows={3}
          />
        </FieldShell>
        <FieldShell
          id={fields.expiresAt.id}
          label="Expires"
          optional
          hint="Leave empty for no expiry."
          errors={fields.expiresAt.errors}
          className="max-w-xs"
        >
          <Input
            {...getInputProps(fields.expiresAt, { type: 'date', ariaAttributes: false })}
            key={fields.expiresAt.key}
            {...describe(fields.expiresAt.id, fields.expiresAt.errors, true)}
          />
        </FieldShell>
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
