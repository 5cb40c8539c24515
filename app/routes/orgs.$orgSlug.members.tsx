// Members page: list members, invite by single-use link, change roles, remove people, revoke invitations.
import { getFormProps, getInputProps, getSelectProps, useForm, type SubmissionResult } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { format, formatDistanceToNowStrict } from 'date-fns';
import { Check, Link2, UserPlus, X } from 'lucide-react';
import { useState } from 'react';
import { CopyButton } from '~/components/copy-button';
import { Button } from '~/components/ui/button';
import { Badge, Card, PageHeader } from '~/components/ui/card';
import { ErrorList, Field, FormError, Label, Select } from '~/components/ui/field';
import { getEnv } from '~/config/env.server';
import { OrgError } from '~/orgs/errors';
import { createInvitation, listPendingInvitations, revokeInvitation } from '~/orgs/invitations.server';
import { changeMemberRole, listMembers, removeMember } from '~/orgs/members.server';
import { memberCan, orgActor, requireMembership, subjectOf } from '~/orgs/membership.server';
import { can, capabilities, deniedMessage, type Capability } from '~/orgs/permissions';
import { ROLE_LABELS, ROLES, type Role } from '~/orgs/roles';
import { ChangeRoleSchema, InviteSchema, RemoveMemberSchema, RevokeInvitationSchema } from '~/orgs/schemas';
import { forbidden } from '~/utils/http.server';
import { initials } from '~/utils/misc';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Members · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const { user, organization } = ctx;
  const subject = subjectOf(ctx);
  const canInvite = memberCan(ctx, 'member.invite');
  const [members, invitations] = await Promise.all([
    listMembers(organization.id),
    canInvite ? listPendingInvitations(organization.id) : Promise.resolve([]),
  ]);
  return {
    slug: organization.slug,
    currentUserId: user.id,
    canInvite,
    // The roles this person may hand out, and what each can do (both from the role matrix).
    invitable: ROLES.filter((r) => can(subject, 'member.invite', { newRole: r })),
    capabilities: Object.fromEntries(ROLES.map((r) => [r, capabilities(r)])) as Record<Role, Capability[]>,
    members: members.map((m) => ({
      id: m.id,
      role: m.role,
      joinedAt: m.createdAt,
      name: m.user.name,
      email: m.user.email,
      userId: m.user.id,
      assignable: can(subject, 'member.manage', { role: m.role }) ? ROLES.filter((r) => can(subject, 'member.manage', { role: m.role, newRole: r })) : [],
    })),
    invitations: invitations.map((i) => ({
      id: i.id,
      role: i.role,
      email: i.email,
      expiresAt: i.expiresAt,
      invitedBy: i.invitedBy?.name ?? null,
      revocable: can(subject, 'member.invite', { newRole: i.role }),
    })),
  };
}

type ActionResult =
  | { intent: 'invite'; result: SubmissionResult<string[]>; inviteLink: string | null }
  | { intent: 'manage'; error: string };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const { user, organization } = ctx;
  // The services apply the role matrix to each change (and audit it with this request's origin);
  // a role with no grant at all for the intent is refused before anything is read.
  const actor = orgActor(ctx, request, context);
  const formData = await readFormData(request);
  const intent = formData.get('intent');
  const permission = intent === 'change-role' || intent === 'remove' ? 'member.manage' : 'member.invite';
  if (!memberCan(ctx, permission)) throw forbidden(deniedMessage(ctx.membership.role, permission));
  const back = `/orgs/${organization.slug}/members`;

  if (intent === 'invite') {
    const submission = parseWithZod(formData, { schema: InviteSchema });
    if (submission.status !== 'success') {
      return data<ActionResult>({ intent: 'invite', result: submission.reply(), inviteLink: null }, { status: 400 });
    }
    try {
      const { token } = await createInvitation({
        organizationId: organization.id,
        actor,
        role: submission.value.role,
        email: submission.value.email ?? null,
      });
      const inviteLink = new URL(`/invitations/${token}`, getEnv().PUBLIC_URL).toString();
      return data<ActionResult>({ intent: 'invite', result: submission.reply({ resetForm: true }), inviteLink });
    } catch (error) {
      if (!(error instanceof OrgError)) throw error;
      return data<ActionResult>(
        { intent: 'invite', result: submission.reply({ fieldErrors: { role: [error.message] } }), inviteLink: null },
        { status: error.status },
      );
    }
  }

  try {
    if (intent === 'change-role') {
      const parsed = ChangeRoleSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) return data<ActionResult>({ intent: 'manage', error: 'Choose a valid role.' }, { status: 400 });
      const changed = await changeMemberRole(organization.id, actor, parsed.data.membershipId, parsed.data.role);
      return redirectWithToast(back, { type: 'success', title: `${changed.user.name} is now ${ROLE_LABELS[parsed.data.role].toLowerCase()}` });
    }
    if (intent === 'remove') {
      const parsed = RemoveMemberSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) return data<ActionResult>({ intent: 'manage', error: 'That member was not found.' }, { status: 400 });
      const removed = await removeMember(organization.id, actor, parsed.data.membershipId);
      if (removed.userId === user.id) {
        return redirectWithToast('/', { type: 'success', title: `You left ${organization.name}` });
      }
      return redirectWithToast(back, { type: 'success', title: `Removed ${removed.user.name}` });
    }
    if (intent === 'revoke') {
      const parsed = RevokeInvitationSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) return data<ActionResult>({ intent: 'manage', error: 'That invitation was not found.' }, { status: 400 });
      await revokeInvitation(organization.id, actor, parsed.data.invitationId);
      return redirectWithToast(back, { type: 'success', title: 'Invitation revoked' });
    }
  } catch (error) {
    if (!(error instanceof OrgError)) throw error;
    return data<ActionResult>({ intent: 'manage', error: error.message }, { status: error.status });
  }
  return data<ActionResult>({ intent: 'manage', error: 'Unknown action.' }, { status: 400 });
}

function RoleBadge({ role }: { role: Role }) {
  const tone = role === 'owner' ? 'indigo' : role === 'admin' ? 'green' : 'slate';
  return <Badge tone={tone}>{ROLE_LABELS[role]}</Badge>;
}

/** What a role can do, listed from the role matrix (app/orgs/permissions.ts). */
function RoleCapabilities({ role, items }: { role: Role; items: Capability[] }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-slate-50/70 px-4 py-3" data-testid="role-capabilities">
      <p className="text-xs font-medium text-slate-500">
        What {/^[aeiou]/i.test(ROLE_LABELS[role]) ? 'an' : 'a'} {ROLE_LABELS[role].toLowerCase()} can do
      </p>
      <ul className="mt-2 space-y-1.5" aria-label={`What ${ROLE_LABELS[role].toLowerCase()}s can do`}>
        {items.map((item) => (
          <li key={item.permissions.join()} className="flex gap-2 text-sm text-slate-700">
            <Check className="mt-0.5 size-4 shrink-0 text-emerald-600" aria-hidden />
            <span>{item.text}</span>
          </li>
        ))}
      </ul>
      {role === 'viewer' ? <p className="mt-2 text-xs text-slate-500">Changes nothing.</p> : null}
    </div>
  );
}

function InvitePanel({
  invitable,
  capabilitiesByRole,
  lastResult,
  slug,
}: {
  invitable: Role[];
  capabilitiesByRole: Record<Role, Capability[]>;
  lastResult: ActionResult | undefined;
  slug: string;
}) {
  const navigation = useNavigation();
  const inviteResult = lastResult?.intent === 'invite' ? lastResult : undefined;
  const [form, fields] = useForm({
    id: 'invite-member',
    lastResult: inviteResult?.result,
    defaultValue: { role: 'member' },
    constraint: getZodConstraint(InviteSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: InviteSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const [selected, setSelected] = useState<Role>('member');
  return (
    <Card>
      <div className="flex items-start justify-between gap-4 border-b border-slate-200 px-5 py-4">
        <div>
          <h2 className="text-sm font-semibold text-slate-900">Invite a member</h2>
          <p className="mt-0.5 text-sm text-slate-500">Creates a single-use link, valid for 7 days. Send it to the person you invite.</p>
        </div>
        <Link to={`/orgs/${slug}/members`} aria-label="Close invite form" className="rounded-lg p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600">
          <X className="size-4" aria-hidden />
        </Link>
      </div>
      <Form method="post" className="space-y-4 px-5 py-4" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="invite" />
        <FormError id={form.errorId} errors={form.errors} />
        <div className="grid gap-4 sm:grid-cols-2">
          <div className="space-y-3">
            <div>
              <Label htmlFor={fields.role.id}>Role</Label>
              <Select
                {...getSelectProps(fields.role)}
                className="mt-1.5"
                onChange={(event) => setSelected(event.currentTarget.value as Role)}
              >
                {invitable.map((role) => (
                  <option key={role} value={role}>
                    {ROLE_LABELS[role]}
                  </option>
                ))}
              </Select>
              <ErrorList id={fields.role.errorId} errors={fields.role.errors} />
            </div>
            <Field
              label="Email (optional)"
              hint="If set, only this account can accept."
              errors={fields.email.errors}
              inputProps={{ ...getInputProps(fields.email, { type: 'email' }), placeholder: 'teammate@example.com' }}
            />
          </div>
          <RoleCapabilities role={selected} items={capabilitiesByRole[selected]} />
        </div>
        <div className="flex justify-end">
          <Button type="submit" disabled={navigation.state === 'submitting'}>
            <Link2 className="size-4" aria-hidden />
            Create invite link
          </Button>
        </div>
      </Form>
      {inviteResult?.inviteLink ? (
        <div className="border-t border-slate-200 bg-emerald-50/60 px-5 py-4">
          <p className="text-sm font-medium text-emerald-900">Invite link created</p>
          <p className="mt-0.5 text-xs text-emerald-800">Copy it now — it is shown only once.</p>
          <div className="mt-2 flex flex-col gap-2 sm:flex-row sm:items-center">
            <code
              data-testid="invite-link"
              className="min-w-0 flex-1 truncate rounded-md border border-emerald-200 bg-white px-3 py-1.5 font-mono text-xs text-slate-800"
            >
              {inviteResult.inviteLink}
            </code>
            <CopyButton value={inviteResult.inviteLink} />
          </div>
        </div>
      ) : null}
    </Card>
  );
}

export default function MembersPage() {
  const { slug, members, invitations, canInvite, invitable, capabilities: capabilitiesByRole, currentUserId } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const showInvite = canInvite && (searchParams.has('invite') || actionData?.intent === 'invite');
  const manageError = actionData?.intent === 'manage' ? actionData.error : null;

  return (
    <div className="space-y-6">
      <PageHeader
        title="Members"
        description="People in this organization and what they can do."
        actions={
          canInvite && !showInvite ? (
            <Form method="get">
              <input type="hidden" name="invite" value="1" />
              <Button type="submit">
                <UserPlus className="size-4" aria-hidden />
                Invite member
              </Button>
            </Form>
          ) : null
        }
      />

      {showInvite ? <InvitePanel invitable={invitable} capabilitiesByRole={capabilitiesByRole} lastResult={actionData} slug={slug} /> : null}
      {manageError ? <FormError errors={[manageError]} /> : null}

      <Card>
        <ul className="divide-y divide-slate-200" aria-label="Members">
          {members.map((member) => (
            <li key={member.id} className="flex flex-col gap-3 px-5 py-4 sm:flex-row sm:items-center" data-member-email={member.email}>
              <div className="flex min-w-0 flex-1 items-center gap-3">
                <span className="flex size-9 shrink-0 items-center justify-center rounded-full bg-slate-100 text-xs font-semibold text-slate-600">
                  {initials(member.name)}
                </span>
                <div className="min-w-0">
                  <p className="truncate text-sm font-medium text-slate-900">
                    {member.name}
                    {member.userId === currentUserId ? <span className="ml-1.5 text-xs font-normal text-slate-500">(you)</span> : null}
                  </p>
                  <p className="truncate text-sm text-slate-500">{member.email}</p>
                </div>
              </div>
              <div className="flex flex-wrap items-center gap-3 sm:justify-end">
                <span className="text-xs text-slate-500">Joined {format(member.joinedAt, 'MMM d, yyyy')}</span>
                <RoleBadge role={member.role} />
                {member.assignable.length > 0 ? (
                  <>
                    <Form method="post" className="flex items-center gap-1.5">
                      <input type="hidden" name="intent" value="change-role" />
                      <input type="hidden" name="membershipId" value={member.id} />
                      <Select name="role" defaultValue={member.role} aria-label={`Change access for ${member.name}`} className="h-8 w-28 text-xs">
                        {member.assignable.map((r) => (
                          <option key={r} value={r}>
                            {ROLE_LABELS[r]}
                          </option>
                        ))}
                      </Select>
                      <Button type="submit" variant="secondary" size="sm" aria-label={`Update access for ${member.name}`}>
                        Update
                      </Button>
                    </Form>
                    <Form method="post">
                      <input type="hidden" name="intent" value="remove" />
                      <input type="hidden" name="membershipId" value={member.id} />
                      <Button type="submit" variant="danger" size="sm" aria-label={`Remove ${member.name}`}>
                        Remove
                      </Button>
                    </Form>
                  </>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      </Card>

      {canInvite ? (
        <section aria-labelledby="pending-invitations" className="space-y-3">
          <h2 id="pending-invitations" className="text-sm font-semibold text-slate-900">
            Pending invitations
          </h2>
          {invitations.length === 0 ? (
            <p className="rounded-lg border border-dashed border-slate-300 bg-white px-5 py-6 text-center text-sm text-slate-500">
              No pending invitations.
            </p>
          ) : (
            <Card>
              <ul className="divide-y divide-slate-200" aria-label="Pending invitations">
                {invitations.map((invitation) => (
                  <li key={invitation.id} className="flex flex-col gap-2 px-5 py-3 sm:flex-row sm:items-center">
                    <div className="min-w-0 flex-1">
                      <p className="truncate text-sm font-medium text-slate-900">{invitation.email ?? 'Anyone with the link'}</p>
                      <p className="text-xs text-slate-500">
                        {invitation.invitedBy ? `Invited by ${invitation.invitedBy} · ` : ''}
                        expires in {formatDistanceToNowStrict(invitation.expiresAt)}
                      </p>
                    </div>
                    <div className="flex items-center gap-3">
                      <RoleBadge role={invitation.role} />
                      {invitation.revocable ? (
                        <Form method="post">
                          <input type="hidden" name="intent" value="revoke" />
                          <input type="hidden" name="invitationId" value={invitation.id} />
                          <Button type="submit" variant="danger" size="sm" aria-label={`Revoke invitation${invitation.email ? ` for ${invitation.email}` : ''}`}>
                            Revoke
                          </Button>
                        </Form>
                      ) : null}
                    </div>
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </section>
      ) : null}
    </div>
  );
}
