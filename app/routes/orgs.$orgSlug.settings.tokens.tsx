// Settings → API tokens: owners and admins create management tokens (lkm_…, shown once) and revoke them; everyone sees the list.
import * as Dialog from '@radix-ui/react-dialog';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { KeyRound, ShieldAlert, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { TokenOnce } from '~/agents/token-once';
import { RelativeTime } from '~/components/credentials/relative-time';
import { Button } from '~/components/ui/button';
import { Badge, Card } from '~/components/ui/card';
import { ConfirmDialogActions, ConfirmDialogContent } from '~/components/ui/confirm-dialog';
import { ErrorList, Field, FormError, Input, Label, Select } from '~/components/ui/field';
import { memberAuditContext, memberCan, requireMembership, type OrgContext } from '~/orgs/membership.server';
import { allows } from '~/orgs/permissions';
import { ROLE_LABELS, ROLES, type Role } from '~/orgs/roles';
import {
  createManagementToken,
  listManagementTokens,
  ManagementTokenError,
  revokeManagementToken,
  roleAtMost,
  type ManagementTokenInput,
  type TokenManager,
} from '~/tokens/management-tokens.server';
import { MAX_TOKEN_DAYS } from '~/tokens/limits';
import { LastUsed } from '~/usage/last-used';
import { exactText } from '~/utils/relative-time';
import { notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction = () => [{ title: 'API tokens · Settings · Latchkey' }];

const EXPIRY_CHOICES = [
  { value: 'none', label: 'No expiry' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '365 days' },
  { value: 'custom', label: 'Custom…' },
] as const;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const tokens = await listManagementTokens(ctx.organization.id);
  return {
    canManage: memberCan(ctx, 'api_token.manage'),
    // A token's role is at most its creator's.
    roles: ROLES.filter((r) => roleAtMost(r, ctx.membership.role)),
    now: new Date(),
    tokens: tokens.map((t) => ({
      id: t.id,
      name: t.name,
      role: t.role,
      canReveal: t.canReveal,
      prefix: t.prefix,
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
      lastUsedAt: t.lastUsedAt,
      revokedAt: t.revokedAt,
      createdBy: t.user.name || t.user.email,
    })),
  };
}

interface FormValues {
  name: string;
  role: string;
  expiry: string;
  customDays: string;
  reveal: boolean;
}

type ActionData =
  | { ok: true; name: string; token: string }
  | { ok: false; message: string; fieldErrors: Record<string, string[]>; values: FormValues };

/** The form's fields as the schema's input: the expiry choice becomes a number of days (or null), the checkbox a boolean. */
function tokenInputOf(values: FormValues): ManagementTokenInput {
  // An empty or non-numeric number of days is NaN, which the schema answers with "Enter a number of days".
  const days = values.expiry === 'custom' ? values.customDays.trim() || Number.NaN : values.expiry;
  return {
    name: values.name,
    role: values.role as Role,
    reveal: values.reveal,
    expiresInDays: values.expiry === 'none' ? null : Number(days),
  };
}

function tokenManager(ctx: OrgContext, request: Request, loadContext: unknown): TokenManager {
  return { organizationId: ctx.organization.id, userId: ctx.user.id, role: ctx.membership.role, context: memberAuditContext(ctx, request, loadContext) };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'api_token.manage');
  const form = await readFormData(request);
  const actor = tokenManager(ctx, request, context);
  const back = `/orgs/${ctx.organization.slug}/settings/tokens`;
  if (form.get('intent') === 'revoke') {
    try {
      await revokeManagementToken(actor, String(form.get('tokenId') ?? ''));
    } catch (error) {
      if (error instanceof ManagementTokenError && error.code === 'not_found') throw notFound();
      throw error;
    }
    return redirectWithToast(back, { type: 'success', title: 'Token revoked', description: 'It stopped working at once.' });
  }
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const values: FormValues = {
    name: text('name'),
    role: text('role') || 'viewer',
    expiry: text('expiry') || 'none',
    customDays: text('customDays'),
    reveal: form.get('reveal') === 'on',
  };
  try {
    const { token, view } = await createManagementToken(actor, tokenInputOf(values));
    // The token travels in this one response only; the database keeps its SHA-256.
    return data<ActionData>({ ok: true, name: view.name, token }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (error) {
    if (error instanceof ManagementTokenError && error.code === 'validation') {
      return data<ActionData>({ ok: false, message: error.message, fieldErrors: error.fieldErrors, values }, { status: 400 });
    }
    throw error;
  }
}

type TokenRow = ReturnType<typeof useLoaderData<typeof loader>>['tokens'][number];

function statusOf(token: TokenRow, now: Date): 'active' | 'expired' | 'revoked' {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now.getTime()) return 'expired';
  return 'active';
}

const STATUS_BADGE = {
  active: { tone: 'green', label: 'Active' },
  expired: { tone: 'amber', label: 'Expired' },
  revoked: { tone: 'red', label: 'Revoked' },
} as const;

function CreateTokenForm({ roles, failed }: { roles: Role[]; failed: Extract<ActionData, { ok: false }> | undefined }) {
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create';
  const [role, setRole] = useState<string>(failed?.values.role ?? 'viewer');
  const [expiry, setExpiry] = useState<string>(failed?.values.expiry ?? 'none');
  const errors = failed?.fieldErrors ?? {};
  const revealPossible = allows(role as Role, 'credential.reveal');
  return (
    <Form method="post" noValidate autoComplete="off">
      <input type="hidden" name="intent" value="create" />
      <div className="space-y-5 p-5 sm:p-6">
        <div>
          <h2 className="text-sm font-semibold text-slate-900">Create a token</h2>
          <p className="mt-0.5 text-sm text-slate-500">
            A token acts for you, with at most your own role; if your role is lowered or you leave the organization, it follows.
          </p>
        </div>
        <FormError errors={errors.form} />
        <Field
          label="Name"
          hint="What uses it, e.g. “CI deploys” or “Terraform”."
          errors={errors.name}
          inputProps={{ name: 'name', required: true, maxLength: 80, defaultValue: failed?.values.name, placeholder: 'CI deploys' }}
        />
        <div className="grid gap-5 sm:grid-cols-2">
          <div>
            <Label htmlFor="token-role">Role</Label>
            <Select
              id="token-role"
              name="role"
              className="mt-1.5"
              value={role}
              onChange={(event) => setRole(event.target.value)}
              aria-invalid={errors.role ? true : undefined}
              aria-describedby={errors.role ? 'token-role-error' : 'token-role-hint'}
            >
              {roles.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </Select>
            {errors.role ? null : (
              <p id="token-role-hint" className="mt-1.5 text-xs text-slate-500">
                At most your own role.
              </p>
            )}
            <ErrorList id="token-role-error" errors={errors.role} />
          </div>
          <div>
            <Label htmlFor="token-expiry">Expires</Label>
            <Select id="token-expiry" name="expiry" className="mt-1.5" value={expiry} onChange={(event) => setExpiry(event.target.value)}>
              {EXPIRY_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </Select>
            {expiry === 'custom' ? (
              <div className="mt-2">
                <Label htmlFor="token-custom-days" className="sr-only">
                  Days until it expires
                </Label>
                <div className="flex items-center gap-2">
                  <Input
                    id="token-custom-days"
                    name="customDays"
                    type="number"
                    min={1}
                    max={MAX_TOKEN_DAYS}
                    inputMode="numeric"
                    defaultValue={failed?.values.customDays}
                    className="max-w-28"
                    aria-invalid={errors.expiresInDays ? true : undefined}
                    aria-describedby={errors.expiresInDays ? 'token-expiry-error' : undefined}
                  />
                  <span className="text-sm text-slate-500">days</span>
                </div>
              </div>
            ) : null}
            <ErrorList id="token-expiry-error" errors={errors.expiresInDays} />
          </div>
        </div>
        <div>
          <label className="flex items-start gap-3">
            <input
              type="checkbox"
              name="reveal"
              defaultChecked={failed?.values.reveal}
              className="mt-0.5 size-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
              aria-describedby="token-reveal-hint"
              aria-invalid={errors.reveal ? true : undefined}
            />
            <span>
              <span className="block text-sm font-medium text-slate-900">Can reveal values</span>
              <span id="token-reveal-hint" className="block text-sm text-slate-500">
                {revealPossible
                  ? 'Lets the token read credential values in clear (audited). Leave off unless a tool needs them.'
                  : 'Only owner and admin tokens can reveal values.'}
              </span>
            </span>
          </label>
          <ErrorList errors={errors.reveal} />
        </div>
      </div>
      <div className="flex justify-end border-t border-slate-200 bg-slate-50/60 px-5 py-3 sm:px-6">
        <Button type="submit" disabled={busy}>
          <KeyRound className="size-4" aria-hidden />
          {busy ? 'Creating…' : 'Create token'}
        </Button>
      </div>
    </Form>
  );
}

function RevokeButton({ token }: { token: TokenRow }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Trigger asChild>
        <Button type="button" variant="danger" size="sm" aria-label={`Revoke ${token.name}`}>
          Revoke
        </Button>
      </Dialog.Trigger>
      <ConfirmDialogContent
        icon={Trash2}
        tone="red"
        title={`Revoke “${token.name}”?`}
        description={
          <p className="text-sm text-slate-600">
            Anything using <code className="font-mono text-xs">{token.prefix}…</code> is refused from now on. This cannot be undone; create a new token to
            replace it.
          </p>
        }
      >
        <Form method="post" className="mt-5" onSubmit={() => setOpen(false)}>
          <input type="hidden" name="intent" value="revoke" />
          <input type="hidden" name="tokenId" value={token.id} />
          <ConfirmDialogActions>
            <Button type="submit" className="bg-red-600 hover:bg-red-500 focus-visible:outline-red-600">
              Revoke token
            </Button>
          </ConfirmDialogActions>
        </Form>
      </ConfirmDialogContent>
    </Dialog.Root>
  );
}

function TokenList({ tokens, now, canManage }: { tokens: TokenRow[]; now: Date; canManage: boolean }) {
  if (tokens.length === 0) {
    return <p className="px-5 py-6 text-sm text-slate-500 sm:px-6">No tokens yet.{canManage ? ' Create one below.' : ''}</p>;
  }
  return (
    <ul className="divide-y divide-slate-100" aria-label="API tokens">
      {tokens.map((token) => {
        const status = statusOf(token, now);
        const badge = STATUS_BADGE[status];
        return (
          <li key={token.id} data-testid="api-token" className="flex flex-col gap-3 px-5 py-4 sm:flex-row sm:items-start sm:justify-between sm:px-6">
            <div className="min-w-0 space-y-1.5">
              <div className="flex flex-wrap items-center gap-2">
                <span className={status === 'active' ? 'text-sm font-semibold text-slate-900' : 'text-sm font-semibold text-slate-500'}>{token.name}</span>
                <Badge tone={badge.tone} data-testid="api-token-status">
                  {badge.label}
                </Badge>
                <Badge tone="indigo">{ROLE_LABELS[token.role]}</Badge>
              </div>
              <p className="flex flex-wrap items-center gap-x-2 gap-y-0.5 text-xs text-slate-500">
                <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-slate-700">{token.prefix}…</code>
                <span>
                  Created by {token.createdBy} <RelativeTime date={token.createdAt} now={now} />
                </span>
              </p>
              <dl className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-500">
                <div className="flex gap-1 whitespace-nowrap">
                  <dt>Expires</dt>
                  <dd className="text-slate-700">
                    {token.expiresAt ? (
                      <>
                        <RelativeTime date={token.expiresAt} now={now} /> <span className="text-slate-500" aria-hidden>({exactText(new Date(token.expiresAt)).slice(0, 10)})</span>
                      </>
                    ) : (
                      'never'
                    )}
                  </dd>
                </div>
                <div className="flex gap-1 whitespace-nowrap">
                  <dt className="sr-only">Last used</dt>
                  <dd className="text-slate-700">
                    <LastUsed at={token.lastUsedAt} now={now} />
                  </dd>
                </div>
                <div className="flex gap-1 whitespace-nowrap">
                  <dt>Reveals values</dt>
                  <dd className={token.canReveal ? 'font-medium text-amber-700' : 'text-slate-700'}>{token.canReveal ? 'yes' : 'no'}</dd>
                </div>
              </dl>
            </div>
            {canManage && status === 'active' ? (
              <div className="shrink-0">
                <RevokeButton token={token} />
              </div>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

export default function ApiTokensSettingsPage() {
  const { canManage, roles, tokens, now: loadedAt } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const now = new Date(loadedAt);
  const created = actionData?.ok ? actionData : undefined;
  const failed = actionData && !actionData.ok ? actionData : undefined;
  return (
    <div className="mt-6 max-w-2xl space-y-6">
      {created ? <TokenOnce token={created.token} title={`Token “${created.name}” created`} /> : null}
      <Card>
        <div className="border-b border-slate-200 px-5 py-4 sm:px-6">
          <h2 className="text-sm font-semibold text-slate-900">API tokens</h2>
          <p className="mt-0.5 text-sm text-slate-500">
            Management tokens (<code className="font-mono text-xs">lkm_…</code>) let scripts and the <code className="font-mono text-xs">latchkey</code> CLI manage
            this organization through the API. They are not agent tokens: agents use theirs to call services.
          </p>
        </div>
        <TokenList tokens={tokens} now={now} canManage={canManage} />
      </Card>
      {canManage ? (
        <Card>
          {/* Keyed by the last token made: after a creation the form starts empty (no second token by accident). */}
          <CreateTokenForm key={created?.token ?? 'form'} roles={roles} failed={failed} />
        </Card>
      ) : (
        <p className="flex items-center gap-2 text-sm text-slate-500">
          <ShieldAlert className="size-4" aria-hidden /> Only owners and admins create and revoke API tokens.
        </p>
      )}
      <Card className="p-5 sm:p-6">
        <h2 className="text-sm font-semibold text-slate-900">Using a token</h2>
        <p className="mt-1 text-sm text-slate-600">
          Send it as <code className="rounded bg-slate-100 px-1 font-mono text-xs">Authorization: Bearer lkm_…</code> to{' '}
          <code className="rounded bg-slate-100 px-1 font-mono text-xs">/api/v1</code>, or run{' '}
          <code className="rounded bg-slate-100 px-1 font-mono text-xs">latchkey login</code> and paste it. The endpoints are described in{' '}
          <a href="/api/v1/openapi.json" className="font-medium text-indigo-600 hover:text-indigo-500">
            /api/v1/openapi.json
          </a>
          .
        </p>
      </Card>
    </div>
  );
}
