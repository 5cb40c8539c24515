// /signup: creates the account and a session, with its first organization (as owner) — or, from an invitation link, joins the invited one.
import { getFormProps, getInputProps, useForm, type FieldMetadata } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { signUp, signUpFromInvitation } from '~/auth/accounts.server';
import { PASSWORD_HINT, SignupSchema } from '~/auth/schemas';
import { getOptionalUser } from '~/auth/session.server';
import { AuthCard } from '~/components/auth-layout';
import { Button } from '~/components/ui/button';
import { Field, FormError } from '~/components/ui/field';
import { findInvitation, INVITATION_STATE_MESSAGES, invitationTokenFromPath } from '~/orgs/invitations.server';
import { ROLE_LABELS } from '~/orgs/roles';
import { InvitedSignupSchema } from '~/orgs/schemas';
import { clientIp, readFormData } from '~/utils/http.server';
import { safeRedirect } from '~/utils/redirect';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction = () => [{ title: 'Create your account · Latchkey' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const redirectTo = new URL(request.url).searchParams.get('redirectTo');
  if (await getOptionalUser(request)) throw redirect(safeRedirect(redirectTo, '/'));
  // Coming from an invitation (directly, or through the login page): sign up into that organization.
  const token = invitationTokenFromPath(redirectTo);
  if (!token) return { invitation: null };
  const invitation = await findInvitation(token);
  if (!invitation || invitation.state !== 'valid') {
    const message = invitation ? INVITATION_STATE_MESSAGES[invitation.state as Exclude<typeof invitation.state, 'valid'>] : INVALID_INVITATION_MESSAGE;
    return { invitation: { valid: false as const, message } };
  }
  return {
    invitation: {
      valid: true as const,
      token,
      organizationName: invitation.organization.name,
      role: ROLE_LABELS[invitation.role],
      email: invitation.email,
    },
  };
}

const INVALID_INVITATION_MESSAGE = 'This invitation link is not valid. Check that you copied all of it.';

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readFormData(request);
  if (formData.has('invitation')) return signUpInvited(formData, request, context);
  const submission = parseWithZod(formData, { schema: SignupSchema });
  if (submission.status !== 'success') {
    return data(submission.reply({ hideFields: ['password'] }), { status: 400 });
  }
  const result = await signUp(submission.value, request, { ip: clientIp(context) });
  if (!result.ok) {
    return data(submission.reply({ fieldErrors: result.fieldErrors, hideFields: ['password'] }), { status: 400 });
  }
  const to = safeRedirect(submission.value.redirectTo, `/orgs/${result.organizationSlug}/credentials`);
  throw await redirectWithToast(
    to,
    { type: 'success', title: 'Welcome to Latchkey', description: 'Your account and organization are ready.' },
    { headers: { 'Set-Cookie': result.cookie } },
  );
}

/** Sign-up from an invitation: no organization of one's own, straight into the invited one. */
async function signUpInvited(formData: FormData, request: Request, context: unknown) {
  const submission = parseWithZod(formData, { schema: InvitedSignupSchema });
  if (submission.status !== 'success') {
    return data(submission.reply({ hideFields: ['password'] }), { status: 400 });
  }
  const result = await signUpFromInvitation(submission.value, request, { ip: clientIp(context) });
  if (!result.ok) {
    return data(submission.reply({ fieldErrors: result.fieldErrors, formErrors: result.formErrors, hideFields: ['password'] }), { status: 400 });
  }
  throw await redirectWithToast(
    `/orgs/${result.organizationSlug}/credentials`,
    { type: 'success', title: `Welcome to ${result.organizationName}`, description: 'Your account is ready and you joined the organization.' },
    { headers: { 'Set-Cookie': result.cookie } },
  );
}

export default function SignupPage() {
  const { invitation } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get('redirectTo') ?? '';
  const loginHref = redirectTo ? `/login?${new URLSearchParams({ redirectTo })}` : '/login';
  const footer = (
    <>
      Already have an account?{' '}
      <Link to={loginHref} className="font-medium text-indigo-600 hover:text-indigo-500">
        Log in
      </Link>
    </>
  );

  if (invitation?.valid) {
    return (
      <AuthCard
        title={`Join ${invitation.organizationName}`}
        description={
          <>
            Create your account to join <strong className="font-medium text-slate-700">{invitation.organizationName}</strong> as{' '}
            <strong className="font-medium text-slate-700">{invitation.role}</strong>.
          </>
        }
        footer={footer}
      >
        <InvitedSignupForm token={invitation.token} email={invitation.email} redirectTo={redirectTo} />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Create your account" description="Start a vault for the credentials your agents use." footer={footer}>
      {invitation && !invitation.valid ? (
        <div role="status" className="mb-4 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {invitation.message} You can still create an account with an organization of your own.
        </div>
      ) : null}
      <OwnSignupForm redirectTo={redirectTo} />
    </AuthCard>
  );
}

function AccountFields({ fields }: { fields: { name: FieldMetadata<string>; email: FieldMetadata<string>; password: FieldMetadata<string> } }) {
  return (
    <>
      <Field
        label="Name"
        errors={fields.name.errors}
        inputProps={{ ...getInputProps(fields.name, { type: 'text' }), autoComplete: 'name', autoFocus: true }}
      />
      <Field label="Email" errors={fields.email.errors} inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'email' }} />
      <Field
        label="Password"
        hint={PASSWORD_HINT}
        errors={fields.password.errors}
        inputProps={{ ...getInputProps(fields.password, { type: 'password' }), autoComplete: 'new-password' }}
      />
    </>
  );
}

function OwnSignupForm({ redirectTo }: { redirectTo: string }) {
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: 'signup',
    lastResult,
    constraint: getZodConstraint(SignupSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SignupSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  return (
    <Form method="post" className="space-y-4" {...getFormProps(form)}>
      <FormError id={form.errorId} errors={form.errors} />
      <input type="hidden" name="redirectTo" value={redirectTo} />
      <AccountFields fields={fields} />
      <Field
        label="Organization name"
        hint="Your team or company. You can invite people later."
        errors={fields.organizationName.errors}
        inputProps={{ ...getInputProps(fields.organizationName, { type: 'text' }), autoComplete: 'organization' }}
      />
      <Button type="submit" className="w-full" disabled={navigation.state === 'submitting'}>
        Create account
      </Button>
    </Form>
  );
}

/** The invited organization is joined: no organization name; an invitation for one address asks for that address. */
function InvitedSignupForm({ token, email, redirectTo }: { token: string; email: string | null; redirectTo: string }) {
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: 'signup-invited',
    lastResult,
    defaultValue: { email: email ?? '' },
    constraint: getZodConstraint(InvitedSignupSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: InvitedSignupSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  return (
    <Form method="post" className="space-y-4" {...getFormProps(form)}>
      <FormError id={form.errorId} errors={form.errors} />
      <input type="hidden" name="redirectTo" value={redirectTo} />
      <input type="hidden" name="invitation" value={token} />
      <AccountFields fields={fields} />
      <Button type="submit" className="w-full" disabled={navigation.state === 'submitting'}>
        Create account and join
      </Button>
    </Form>
  );
}
