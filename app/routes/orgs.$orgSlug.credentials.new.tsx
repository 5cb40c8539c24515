// "Add credential": step 1 picks a type and a service; step 2 is the catalog-driven form (text fields or a file upload). `?name=` prefills the name through every step.
import { getFormProps, getInputProps, getTextareaProps, useForm, type FieldMetadata, type SubmissionResult } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { format } from 'date-fns';
import { ArrowLeft, ExternalLink } from 'lucide-react';
import { useMemo, useRef } from 'react';
import { z } from 'zod';
import { AdvancedFields, BaseUrlField, InjectionFields } from '~/components/credential-forms/connection-fields';
import { ExpiryField } from '~/components/credential-forms/expiry-field';
import { CatalogField, describe, FieldShell, FileField, Textarea } from '~/components/credential-forms/form-fields';
import { ServicePicker, TYPE_CHOICES, TypePicker } from '~/components/credential-forms/pickers';
import { httpErrorFor, prefilledName, replyWithErrors } from '~/components/credential-forms/route-helpers.server';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Button } from '~/components/ui/button';
import { Card, PageHeader } from '~/components/ui/card';
import { FormError, Input } from '~/components/ui/field';
import { getEnv } from '~/config/env.server';
import { credentialActor } from '~/credentials/actor.server';
import { credentialFieldsFor, getService, CREDENTIAL_TYPES, type CredentialType } from '~/credentials/catalog';
import { createCredential } from '~/credentials/credentials.server';
import { CredentialError, formatByteLimit } from '~/credentials/errors';
import { parseCredentialUpload, type InspectedCredentialFile } from '~/credentials/files.server';
import { connectionSpecFor, DEFAULT_CUSTOM_INJECTION } from '~/credentials/connection';
import { connectionFromForm, createCredentialSchema, expiryFromForm, MANUAL_CREDENTIAL_TYPES, type ManualCredentialType } from '~/credentials/schemas';
import { oauthStepAction, oauthStepData, type OAuthStepResult } from '~/components/oauth/add-step.server';
import { OAuthAddStep } from '~/components/oauth/oauth-add-step';
import { requireMembership } from '~/orgs/membership.server';
import { notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction = () => [{ title: 'Add credential · Latchkey' }];

type Step =
  | { step: 'type'; type: null }
  | { step: 'service'; type: CredentialType }
  | { step: 'oauth'; type: 'oauth'; service: string }
  | { step: 'form'; type: ManualCredentialType; service: string };

function isManual(type: string): type is ManualCredentialType {
  return (MANUAL_CREDENTIAL_TYPES as readonly string[]).includes(type);
}

/** Where the person is in the two steps, from the URL; an unknown type or service answers 404. */
function stepFromUrl(url: URL): Step {
  const type = url.searchParams.get('type');
  const service = url.searchParams.get('service');
  if (!type) return { step: 'type', type: null };
  if (!(CREDENTIAL_TYPES as readonly string[]).includes(type)) throw notFound();
  const credentialType = type as CredentialType;
  if (!service) return { step: 'service', type: credentialType };
  const definition = getService(service);
  if (!definition || !definition.credentialTypes.includes(credentialType)) throw notFound();
  // OAuth's step 2 is its own card: Connect with an app, or paste tokens (app/components/oauth/oauth-add-step.tsx).
  if (!isManual(credentialType)) return { step: 'oauth', type: 'oauth', service };
  return { step: 'form', type: credentialType, service };
}

/** A name that fits the pattern, e.g. github_token, smtp_password, gcp_service_account. */
function suggestName(service: string, type: ManualCredentialType): string {
  const base = service.replace(/[^A-Za-z0-9_-]/g, '_');
  if (service === 'gcp') return 'gcp_service_account';
  return `${base}_${type === 'api_key' ? 'token' : type === 'password' ? 'password' : 'file'}`;
}

/** Names of the secret text inputs, which are never sent back to the browser. */
function secretInputNames(service: string, type: ManualCredentialType): string[] {
  return credentialFieldsFor(service, type)
    .filter((f) => f.secret && f.input !== 'file')
    .map((f) => `fields.${f.name}`);
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.create');
  const { organization } = ctx;
  const url = new URL(request.url);
  const step = stepFromUrl(url);
  const name = prefilledName(url);
  return {
    slug: organization.slug,
    step,
    oauth: step.step === 'oauth' ? await oauthStepData(ctx, step.service, url) : null,
    query: url.searchParams.get('q') ?? '',
    /** The `?name=` asked for, carried by the step links so it survives picking a type and a service. */
    name,
    suggestedName: step.step === 'form' ? (name ?? suggestName(step.service, step.type)) : '',
    uploadMaxBytes: getEnv().UPLOAD_MAX_BYTES,
  };
}

type ActionData = { result: SubmissionResult<string[]> };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.create');
  const step = stepFromUrl(new URL(request.url));
  // OAuth's step posts Connect or pasted tokens here too (app/components/oauth/add-step.server.ts).
  if (step.step === 'oauth') return oauthStepAction(ctx, request, context, step.service);
  if (step.step !== 'form') throw notFound();
  const { service, type } = step;
  const hideFields = secretInputNames(service, type);
  const schema = createCredentialSchema(service, type);

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
      // The rest of the body was not read (an oversized upload is refused while it streams).
      return data<ActionData>({ result: replyWithErrors(null, error, hideFields) }, { status: error.status });
    }
  } else {
    formData = await readFormData(request);
  }

  const submission = parseWithZod(formData, { schema });
  if (submission.status !== 'success') {
    const fileErrors: Record<string, string[]> = type === 'file' && !file ? { file: ['Choose a file to upload'] } : {};
    return data<ActionData>(
      { result: submission.reply({ hideFields, fieldErrors: fileErrors }) },
      { status: 400 },
    );
  }
  try {
    const value = submission.value;
    const expiry = expiryFromForm(value);
    const created = await createCredential(credentialActor(ctx, request, context), {
      name: value.name,
      service: value.service,
      type: value.type,
      description: value.description,
      expiresAt: expiry.ok ? expiry.expiresAt : null,
      fields: value.fields ?? {},
      file,
      ...connectionFromForm(service, type, value),
    });
    const metadata = created.fileMetadata as { clientEmail?: string; projectId?: string } | null;
    const description =
      created.fileKind === 'gcp_service_account' && metadata?.clientEmail
        ? `Service account ${metadata.clientEmail} (project ${metadata.projectId})`
        : undefined;
    return redirectWithToast(`/orgs/${ctx.organization.slug}/credentials/${created.id}`, {
      type: 'success',
      title: `Added ${created.name}`,
      description,
    });
  } catch (error) {
    if (!(error instanceof CredentialError) || error.code === 'not_found' || error.code === 'forbidden') throw httpErrorFor(error);
    return data<ActionData>({ result: replyWithErrors(submission, error, hideFields) }, { status: error.status });
  }
}

export default function NewCredentialPage() {
  const { slug, step, query, name } = useLoaderData<typeof loader>();
  const base = `/orgs/${slug}/credentials/new`;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Add credential"
        description="Values are encrypted with your organization's key. Agents use them through Latchkey without seeing them."
        actions={
          <Button asChild variant="ghost">
            <Link to={`/orgs/${slug}/credentials`}>
              <ArrowLeft className="size-4" aria-hidden />
              Credentials
            </Link>
          </Button>
        }
      />
      {step.step === 'form' ? (
        <CredentialForm />
      ) : step.step === 'oauth' ? (
        <OAuthChoice />
      ) : (
        <>
          <TypePicker base={base} selected={step.type} name={name} />
          {step.type ? (
            <ServicePicker key={step.type} base={base} type={step.type} initialQuery={query} name={name} />
          ) : (
            <p className="text-sm text-slate-500">Choose what kind of credential you are adding.</p>
          )}
        </>
      )}
    </div>
  );
}

/** Step 2 for OAuth: Connect with one of the organization's apps, or paste tokens (app/components/oauth). */
function OAuthChoice() {
  const { slug, oauth } = useLoaderData<typeof loader>();
  const result = useActionData() as OAuthStepResult | undefined;
  const navigation = useNavigation();
  if (!oauth) throw new Error('OAuthChoice needs a service');
  return <OAuthAddStep slug={slug} step={oauth} result={result ?? null} busy={navigation.state === 'submitting'} />;
}

/** A step link's query: the given params, then `name` when one was asked for. */
function nameQuery(name: string | null, params: Record<string, string>): string {
  const query = new URLSearchParams(params);
  if (name) query.set('name', name);
  return query.toString();
}

function CredentialForm() {
  const { slug, step, name, suggestedName, uploadMaxBytes } = useLoaderData<typeof loader>();
  const lastResult = (useActionData() as ActionData | undefined)?.result;
  const navigation = useNavigation();
  if (step.step !== 'form') throw new Error('CredentialForm needs a service');
  const { service, type } = step;
  const definition = getService(service)!;
  const specs = credentialFieldsFor(service, type);
  const textSpecs = specs.filter((s) => s.input !== 'file');
  const fileSpec = specs.find((s) => s.input === 'file');
  const typeLabel = TYPE_CHOICES.find((c) => c.type === type)?.label ?? type;
  const maxLabel = formatByteLimit(uploadMaxBytes);

  const schema = useMemo(() => createCredentialSchema(service, type), [service, type]);
  // The browser checks the chosen file's size too, so a huge file is never sent at all.
  const clientSchema = useMemo(
    () =>
      type === 'file'
        ? createCredentialSchema(service, type, {
            file: z
              .custom<File>((v) => typeof File !== 'undefined' && v instanceof File && v.size > 0, 'Choose a file to upload')
              .refine((f) => f.size <= uploadMaxBytes, `The file is larger than ${maxLabel}`),
          })
        : schema,
    [schema, service, type, uploadMaxBytes, maxLabel],
  );
  const connection = connectionSpecFor(service, type);

  // Each server answer remounts the secret inputs, so a failed submission leaves them empty.
  const resetCounter = useRef({ last: undefined as unknown, count: 0 });
  if (resetCounter.current.last !== lastResult) resetCounter.current = { last: lastResult, count: resetCounter.current.count + 1 };

  const [form, fields] = useForm<z.input<typeof schema>>({
    id: `new-${service}-${type}`,
    lastResult,
    defaultValue: {
      name: suggestedName,
      description: '',
      expiresAt: '',
      service,
      type,
      baseUrl: connection.catalogBaseUrl ?? '',
      // The schema's type is a union over services; this form's service takes an injection only when configurable.
      injection: (connection.injectionConfigurable ? DEFAULT_CUSTOM_INJECTION : undefined) as never,
    },
    constraint: getZodConstraint(schema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: clientSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const valueFields = fields.fields.getFieldset();
  const action = `/orgs/${slug}/credentials/new?type=${type}&service=${service}`;
  const submitting = navigation.state !== 'idle' && navigation.formAction?.startsWith(`/orgs/${slug}/credentials/new`);
  const today = format(new Date(), 'yyyy-MM-dd');
  const fileErrors = (fields as unknown as Record<string, { errors?: string[] }>).file?.errors ?? form.allErrors.file;

  return (
    <Card className="mx-auto max-w-2xl">
      <div className="flex items-center gap-3 border-b border-slate-200 px-5 py-4">
        <span className="flex size-10 shrink-0 items-center justify-center rounded-lg border border-slate-100 bg-slate-50">
          <ServiceLogo service={service} name={definition.displayName} size={22} />
        </span>
        <div className="min-w-0 flex-1">
          <h2 className="text-base font-semibold text-slate-900">
            {definition.displayName} · {typeLabel}
          </h2>
          <p className="text-sm text-slate-500">
            <Link to={`/orgs/${slug}/credentials/new?${nameQuery(name, { type })}`} className="font-medium text-indigo-600 hover:text-indigo-500">
              Change service
            </Link>
          </p>
        </div>
        {definition.docsUrl ? (
          <a
            href={definition.docsUrl}
            target="_blank"
            rel="noreferrer noopener"
            className="hidden items-center gap-1 text-sm font-medium text-indigo-600 hover:text-indigo-500 sm:inline-flex"
          >
            Where do I find this?
            <ExternalLink className="size-3.5" aria-hidden />
          </a>
        ) : null}
      </div>
      <Form
        method="post"
        action={action}
        encType={type === 'file' ? 'multipart/form-data' : undefined}
        className="space-y-5 px-5 py-5"
        {...getFormProps(form)}
      >
        <input type="hidden" name="service" value={service} />
        <input type="hidden" name="type" value={type} />
        <FormError id={form.errorId} errors={form.errors} />

        <FieldShell id={fields.name.id} label="Name" hint='Letters, digits, "-", "_" and ":". Agents ask for the credential by this name.' errors={fields.name.errors}>
          <Input
            {...getInputProps(fields.name, { type: 'text', ariaAttributes: false })}
            key={fields.name.key}
            {...describe(fields.name.id, fields.name.errors, true)}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
          />
        </FieldShell>

        {textSpecs.map((spec) => {
          const meta = valueFields[spec.name as keyof typeof valueFields];
          if (!meta) return null;
          return <CatalogField key={spec.name} spec={spec} meta={meta as never} resetKey={resetCounter.current.count} />;
        })}

        {type === 'file' ? (
          <FileField
            id={`${form.id}-file`}
            label={fileSpec?.label ?? 'File'}
            help={fileSpec?.help}
            accept={fileSpec?.accept}
            maxLabel={maxLabel}
            errors={fileErrors}
            isServiceAccount={service === 'gcp'}
            resetKey={resetCounter.current.count}
          />
        ) : null}

        {connection.injectable ? (
          <BaseUrlField meta={fields.baseUrl as FieldMetadata<string | undefined>} spec={connection} name={String(fields.name.value ?? '')} />
        ) : null}
        {connection.injectionConfigurable ? <InjectionFields meta={fields.injection} /> : null}

        <FieldShell id={fields.description.id} label="Description" optional hint="What it is for, who owns it." errors={fields.description.errors}>
          <Textarea
            {...getTextareaProps(fields.description, { ariaAttributes: false })}
            key={fields.description.key}
            {...describe(fields.description.id, fields.description.errors, true)}
            rows={2}
          />
        </FieldShell>

        <ExpiryField
          date={fields.expiresAt}
          time={fields.expiresTime}
          submitted={lastResult !== undefined}
          min={today}
        />

        {connection.injectable ? <AdvancedFields timeout={fields.upstreamTimeoutSeconds as FieldMetadata<number | undefined>} /> : null}

        {definition.docsUrl ? (
          <p className="text-sm sm:hidden">
            <a href={definition.docsUrl} target="_blank" rel="noreferrer noopener" className="inline-flex items-center gap-1 font-medium text-indigo-600">
              Where do I find this?
              <ExternalLink className="size-3.5" aria-hidden />
            </a>
          </p>
        ) : null}

        <div className="flex flex-col-reverse gap-2 border-t border-slate-200 pt-5 sm:flex-row sm:justify-end">
          <Button asChild variant="secondary">
            <Link to={`/orgs/${slug}/credentials`}>Cancel</Link>
          </Button>
          <Button type="submit" disabled={submitting}>
            {submitting ? 'Saving…' : 'Add credential'}
          </Button>
        </div>
      </Form>
    </Card>
  );
}
