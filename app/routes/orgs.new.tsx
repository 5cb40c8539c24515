// /orgs/new: a signed-in user creates another organization and becomes its owner.
import { getFormProps, getInputProps, useForm } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { auditContextFromRequest } from '~/audit/audit.server';
import { requireUser } from '~/auth/session.server';
import { AuthCard } from '~/components/auth-layout';
import { Button } from '~/components/ui/button';
import { Field } from '~/components/ui/field';
import { userAuditLabel } from '~/orgs/membership.server';
import { createOrganizationForUser, listUserOrganizations } from '~/orgs/organizations.server';
import { CreateOrganizationSchema } from '~/orgs/schemas';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Create organization · Latchkey' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const [first] = await listUserOrganizations(user.id);
  return { backTo: first ? `/orgs/${first.slug}/credentials` : null };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const submission = parseWithZod(await readFormData(request), { schema: CreateOrganizationSchema });
  if (submission.status !== 'success') return data(submission.reply(), { status: 400 });
  const origin = auditContextFromRequest(request, { type: 'user', id: user.id, label: userAuditLabel(user) }, context);
  const organization = await createOrganizationForUser(user.id, submission.value.name, origin);
  throw await redirectWithToast(`/orgs/${organization.slug}/credentials`, {
    type: 'success',
    title: `Created ${organization.name}`,
    description: 'You are its owner.',
  });
}

export default function NewOrganizationPage() {
  const { backTo } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: 'create-organization',
    lastResult,
    constraint: getZodConstraint(CreateOrganizationSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: CreateOrganizationSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  return (
    <AuthCard
      title="Create organization"
      description="A separate vault with its own members, credentials and encryption key."
      footer={
        backTo ? (
          <Link to={backTo} className="font-medium text-indigo-600 hover:text-indigo-500">
            Back to the dashboard
          </Link>
        ) : null
      }
    >
      <Form method="post" className="space-y-4" {...getFormProps(form)}>
        <Field
          label="Organization name"
          errors={fields.name.errors}
          inputProps={{ ...getInputProps(fields.name, { type: 'text' }), autoFocus: true, autoComplete: 'organization' }}
        />
        <Button type="submit" className="w-full" disabled={navigation.state === 'submitting'}>
          Create organization
        </Button>
      </Form>
    </AuthCard>
  );
}
