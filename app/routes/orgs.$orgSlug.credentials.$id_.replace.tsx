// Replace a credential's value (or upload a new file): same id and name, new version; owners and admins only.
import { getFormProps, useForm, type SubmissionResult } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useMemo, useRef } from 'react';
import { CredentialFormCard } from '~/components/credential-forms/form-card';
import { CatalogField, FileField } from '~/components/credential-forms/form-fields';
import { httpErrorFor, replyWithErrors, requireOwnCredential } from '~/components/credential-forms/route-helpers.server';
import { Button } from '~/components/ui/button';
import { FormError } from '~/components/ui/field';
import { getEnv } from '~/config/env.server';
import { credentialActor } from '~/credentials/actor.server';
import { credentialFieldsFor } from '~/credentials/catalog';
import { replaceCredentialSecret } from '~/credentials/credentials.server';
import { CredentialError, formatByteLimit } from '~/credentials/errors';
import { parseCredentialUpload, type InspectedCredentialFile } from '~/credentials/files.server';
import { expectedVersionSchema, MANUAL_CREDENTIAL_TYPES, replaceCredentialSecretSchema, type ManualCredentialType } from '~/credentials/schemas';
import { parseCredentialSettings } from '~/credentials/settings';
import { assertMemberCan, requireMembership } from '~/orgs/membership.server';
import { oauthTokensNotReplaced } from '~/components/oauth/tokens-not-shown.server';
import { badRequest, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction = () => [{ title: 'Replace value · Latchkey' }];

function manualType(slug: string, credential: { id: string; name: string; type: string }): ManualCredentialType {
  const type = credential.type;
  // OAuth credentials get new tokens by reconnecting (or pasting new ones), not through this form.
  if (!(MANUAL_CREDENTIAL_TYPES as readonly string[]).includes(type)) throw oauthTokensNotReplaced(slug, credential);
  return type as ManualCredentialType;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.replace');
  const credential = await requireOwnCredential(ctx, request, params.id);
  assertMemberCan(ctx, 'credential.replace', credential);
  manualType(ctx.organization.slug, credential);
  return {
    slug: ctx.organization.slug,
    uploadMaxBytes: getEnv().UPLOAD_MAX_BYTES,
    credential: {
      id: credential.id,
      name: credential.name,
      service: credential.service,
      type: credential.type,
      version: credential.version,
      fileName: credential.fileName,
      // The non-secret fields (host, port, username …) are filled in; secret ones always start empty.
      shownFields: parseCredentialSettings(credential.settings).fields ?? (credential.username ? { username: credential.username } : {}),
    },
  };
}

type ActionData = { result: SubmissionResult<string[]> };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.replace');
  const credential = await requireOwnCredential(ctx, request, params.id);
  assertMemberCan(ctx, 'credential.replace', credential);
  const type = manualType(ctx.organization.slug, credential);
  const hideFields = credentialFieldsFor(credential.service, type)
    .filter((f) => f.secret && f.input !== 'file')
    .map((f) => `fields.${f.name}`);

  let formData: FormData;
  let file: InspectedCredentialFile | null = null;
  if (type === 'file') {
    try {
      const upload = await parseCredentialUpload(request);
      formData = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) formData.append(name, value);
      file = upload.file;
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      return data<ActionData>({ result: replyWithErrors(null, error, hideFields) }, { status: error.status });
    }
  } else {
    formData = await readFormData(request);
  }
  const submission = parseWithZod(formData, { schema: replaceCredentialSecretSchema(credential.service, type) });
  if (submission.status !== 'success') {
    return data<ActionData>({ result: submission.reply({ hideFields }) }, { status: 400 });
  }
  // The version the form was rendered with: a replacement of anything else (or of nothing said) changes nothing.
  const version = expectedVersionSchema.safeParse(formData.get('version') ?? undefined);
  if (!version.success) {
    return data<ActionData>({ result: submission.reply({ hideFields, formErrors: [version.error.issues[0]!.message] }) }, { status: 400 });
  }
  try {
    const updated = await replaceCredentialSecret(credentialActor(ctx, request, context), credential.id, {
      fields: submission.value.fields ?? {},
      file,
      expectedVersion: version.data,
    });
    return redirectWithToast(`/orgs/${ctx.organization.slug}/credentials/${updated.id}`, {
      type: 'success',
      title: type === 'file' ? `Uploaded a new file to ${updated.name}` : `Replaced the value of ${updated.name}`,
    });
  } catch (error) {
    if (!(error instanceof CredentialError) || error.code === 'not_found' || error.code === 'forbidden') throw httpErrorFor(error);
    return data<ActionData>({ result: replyWithErrors(submission, error, hideFields) }, { status: error.status });
  }
}

export default function ReplaceCredentialPage() {
  const { slug, credential, uploadMaxBytes } = useLoaderData<typeof loader>();
  const lastResult = (useActionData() as ActionData | undefined)?.result;
  const navigation = useNavigation();
  const type = credential.type as ManualCredentialType;
  const specs = credentialFieldsFor(credential.service, type);
  const schema = useMemo(() => replaceCredentialSecretSchema(credential.service, type), [credential.service, type]);
  const resetCounter = useRef({ last: undefined as unknown, count: 0 });
  if (resetCounter.current.last !== lastResult) resetCounter.current = { last: lastResult, count: resetCounter.current.count + 1 };
  const [form, fields] = useForm({
    id: `replace-${credential.id}`,
    lastResult,
    defaultValue: { fields: credential.shownFields },
    constraint: getZodConstraint(schema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const valueFields = fields.fields.getFieldset();
  const fileSpec = specs.find((s) => s.input === 'file');
  const submitting = navigation.state === 'submitting';
  return (
    <CredentialFormCard
      slug={slug}
      credential={credential}
      title={type === 'file' ? 'Upload a new file' : 'Replace value'}
      description={
        type === 'file'
          ? `The new file replaces ${credential.fileName ?? 'the stored file'}. Agents get it from their next request; the name and id stay the same.`
          : 'The new value replaces the stored one. Agents get it from their next request; the name and id stay the same.'
      }
    >
      <Form
        method="post"
        encType={type === 'file' ? 'multipart/form-data' : undefined}
        className="space-y-5 px-5 py-5"
        {...getFormProps(form)}
      >
        <input type="hidden" name="version" value={credential.version} />
        <FormError id={form.errorId} errors={form.errors} />
        {type === 'file' ? (
          <FileField
            id={`${form.id}-file`}
            label={fileSpec?.label ?? 'File'}
            help={fileSpec?.help}
            accept={fileSpec?.accept}
            maxLabel={formatByteLimit(uploadMaxBytes)}
            errors={form.allErrors.file}
            isServiceAccount={credential.service === 'gcp'}
            resetKey={resetCounter.current.count}
          />
        ) : (
          specs.map((spec) => {
            const meta = valueFields[spec.name as keyof typeof valueFields];
            if (!meta) return null;
            return <CatalogField key={spec.name} spec={spec} meta={meta as never} resetKey={resetCounter.current.count} />;
          })
        )}
        <div className="flex flex-col-reverse gap-2 border-t border-slate-200 pt-5 sm:flex-row sm:justify-end">
          <Button asChild variant="secondary">
            <Link to={`/orgs/${slug}/credentials/${credential.id}`}>Cancel</Link>
          </Button>
          <Button type="submit" disabled={submitting}>
            {submitting ? 'Saving…' : type === 'file' ? 'Upload file' : 'Replace value'}
          </Button>
        </div>
      </Form>
    </CredentialFormCard>
  );
}
