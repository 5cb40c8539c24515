// /signup: creates the account, its first organization (as owner) and a session in one go.
import { getFormProps, getInputProps, useForm } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { signUp } from '~/auth/accounts.server';
import { PASSWORD_HINT, SignupSchema } from '~/auth/schemas';
import { getOptionalUser } from '~/auth/session.server';
import { AuthCard } from '~/components/auth-layout';
import { Button } from '~/components/ui/button';
import { Field, FormError } from '~/components/ui/field';
import { clientIp } from '~/utils/http.server';
import { safeRedirect } from '~/utils/redirect';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction = () => [{ title: 'Create your account · Latchkey' }];

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getOptionalUser(request)) {
    throw redirect(safeRedirect(new URL(request.url).searchParams.get('redirectTo'), '/'));
  }
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
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

export default function SignupPage() {
  const lastResult = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get('redirectTo') ?? '';
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: 'signup',
    lastResult,
    constraint: getZodConstraint(SignupSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SignupSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const loginHref = redirectTo ? `/login?${new URLSearchParams({ redirectTo })}` : '/login';

  return (
    <AuthCard
      title="Create your account"
      description="Start a vault for the credentials your agents use."
      footer={
        <>
          Already have an account?{' '}
          <Link to={loginHref} className="font-medium text-indigo-600 hover:text-indigo-500">
            Log in
          </Link>
        </>
      }
    >
      <Form method="post" className="space-y-4" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field
          label="Name"
          errors={fields.name.errors}
          inputProps={{ ...getInputProps(fields.name, { type: 'text' }), autoComplete: 'name', autoFocus: true }}
        />
        <Field
          label="Email"
          errors={fields.email.errors}
          inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'email' }}
        />
        <Field
          label="Password"
          hint={PASSWORD_HINT}
          errors={fields.password.errors}
          inputProps={{ ...getInputProps(fields.password, { type: 'password' }), autoComplete: 'new-password' }}
        />
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
    </AuthCard>
  );
}
