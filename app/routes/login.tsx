// /login: email and password, throttled (429 with Retry-After), with one message for every wrong combination.
import { getFormProps, getInputProps, useForm } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { logIn } from '~/auth/accounts.server';
import { retryAfterSeconds } from '~/auth/login-throttle.server';
import { LoginSchema } from '~/auth/schemas';
import { getOptionalUser } from '~/auth/session.server';
import { AuthCard } from '~/components/auth-layout';
import { Button } from '~/components/ui/button';
import { Field, FormError } from '~/components/ui/field';
import { clientIp, readFormData } from '~/utils/http.server';
import { safeRedirect } from '~/utils/redirect';

export const meta: MetaFunction = () => [{ title: 'Log in · Latchkey' }];

/** A throttled attempt's Retry-After reaches the document response too (Remix passes only cookies on by itself). */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After');
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers();
};

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getOptionalUser(request)) {
    throw redirect(safeRedirect(new URL(request.url).searchParams.get('redirectTo'), '/'));
  }
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readFormData(request);
  const submission = parseWithZod(formData, { schema: LoginSchema });
  if (submission.status !== 'success') {
    return data(submission.reply({ hideFields: ['password'] }), { status: 400 });
  }
  const result = await logIn(submission.value, request, { ip: clientIp(context) });
  if (!result.ok) {
    const reply = submission.reply({ formErrors: [result.formError], hideFields: ['password'] });
    // Throttled: 429 says so to scripts too, with the wait in Retry-After; the form shows the same wait in words.
    if (result.retryAfterMs) return data(reply, { status: 429, headers: { 'Retry-After': retryAfterSeconds(result.retryAfterMs) } });
    return data(reply, { status: 400 });
  }
  throw redirect(safeRedirect(submission.value.redirectTo, '/'), { headers: { 'Set-Cookie': result.cookie } });
}

export default function LoginPage() {
  const lastResult = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get('redirectTo') ?? '';
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: 'login',
    lastResult,
    constraint: getZodConstraint(LoginSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: LoginSchema }),
    shouldValidate: 'onSubmit',
    shouldRevalidate: 'onInput',
  });
  const signupHref = redirectTo ? `/signup?${new URLSearchParams({ redirectTo })}` : '/signup';

  return (
    <AuthCard
      title="Log in to Latchkey"
      description="Welcome back. Enter your email and password."
      footer={
        <>
          New to Latchkey?{' '}
          <Link to={signupHref} className="font-medium text-indigo-600 hover:text-indigo-500">
            Create an account
          </Link>
        </>
      }
    >
      <Form method="post" className="space-y-4" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field
          label="Email"
          errors={fields.email.errors}
          inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'email', autoFocus: true }}
        />
        <Field
          label="Password"
          errors={fields.password.errors}
          inputProps={{ ...getInputProps(fields.password, { type: 'password' }), autoComplete: 'current-password' }}
        />
        <Button type="submit" className="w-full" disabled={navigation.state === 'submitting'}>
          Log in
        </Button>
      </Form>
    </AuthCard>
  );
}
