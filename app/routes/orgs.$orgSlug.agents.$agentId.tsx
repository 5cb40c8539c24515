// Agent detail: allowlist (editable by admins), tokens with rotate and revoke, and which credentials it used and when.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { format, formatDistanceToNowStrict } from 'date-fns';
import { ArrowLeft, RotateCw } from 'lucide-react';
import { AgentError, deleteAgent, getAgent, parseAllowlist, revokeAgentToken, rotateAgentToken, updateAgent } from '~/agents/agents.server';
import { agentActor } from '~/agents/route-helpers.server';
import { TokenOnce } from '~/agents/token-once';
import { Button } from '~/components/ui/button';
import { Badge, Card, PageHeader } from '~/components/ui/card';
import { ErrorList, Field, Label } from '~/components/ui/field';
import { requireMembership } from '~/orgs/membership.server';
import { hasRole } from '~/orgs/roles';
import { forbidden, notFound } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.agent.name ?? 'Agent'} · Agents · Latchkey` }];

const ago = (iso: string | null) => (iso ? formatDistanceToNowStrict(new Date(iso), { addSuffix: true }) : 'Never');

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  const agent = await getAgent(organization.id, params.agentId ?? '').catch((error: unknown) => {
    if (error instanceof AgentError) throw notFound();
    throw error;
  });
  return {
    slug: organization.slug,
    canManage: hasRole(membership.role, 'admin'),
    agent: {
      id: agent.id,
      name: agent.name,
      description: agent.description,
      allowedCredentials: agent.allowedCredentials,
      createdAt: agent.createdAt.toISOString(),
      lastUsedAt: agent.lastUsedAt?.toISOString() ?? null,
    },
    tokens: agent.tokens.map((t) => ({
      id: t.id,
      prefix: t.prefix,
      createdAt: t.createdAt.toISOString(),
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      revokedAt: t.revokedAt?.toISOString() ?? null,
    })),
    usages: agent.usages.map((u) => ({
      credentialId: u.credential.id,
      name: u.credential.name,
      service: u.credential.service,
      status: u.credential.status,
      lastUsedAt: u.lastUsedAt.toISOString(),
      useCount: Number(u.useCount),
    })),
  };
}

type ActionData =
  | { intent: 'rotate'; token: string }
  | { intent: 'update'; fieldErrors: Record<string, string[]>; values: { name: string; description: string; allowlist: string } };

export async function action({ request, params }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  if (!hasRole(ctx.membership.role, 'admin')) throw forbidden('Only owners and admins can change agents.');
  const actor = agentActor(ctx, request);
  const agentId = params.agentId ?? '';
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  try {
    if (intent === 'rotate') {
      const { token } = await rotateAgentToken(actor, agentId);
      return data<ActionData>({ intent: 'rotate', token }, { headers: { 'Cache-Control': 'no-store' } });
    }
    if (intent === 'revoke') {
      await revokeAgentToken(actor, agentId, String(form.get('tokenId') ?? ''));
      return redirectWithToast(`/orgs/${ctx.organization.slug}/agents/${agentId}`, { type: 'success', title: 'Token revoked' });
    }
    if (intent === 'delete') {
      await deleteAgent(actor, agentId);
      return redirectWithToast(`/orgs/${ctx.organization.slug}/agents`, { type: 'success', title: 'Agent deleted' });
    }
    if (intent === 'update') {
      const values = { name: String(form.get('name') ?? ''), description: String(form.get('description') ?? ''), allowlist: String(form.get('allowlist') ?? '') };
      try {
        await updateAgent(actor, agentId, { name: values.name, description: values.description, allowedCredentials: parseAllowlist(values.allowlist) });
      } catch (error) {
        if (error instanceof AgentError && error.code !== 'not_found') {
          const { allowedCredentials, ...rest } = error.fieldErrors;
          return data<ActionData>({ intent: 'update', fieldErrors: { ...rest, ...(allowedCredentials ? { allowlist: allowedCredentials } : {}) }, values }, { status: 400 });
        }
        throw error;
      }
      return redirectWithToast(`/orgs/${ctx.organization.slug}/agents/${agentId}`, { type: 'success', title: 'Agent saved' });
    }
  } catch (error) {
    if (error instanceof AgentError && error.code === 'not_found') throw notFound();
    throw error;
  }
  return redirect(`/orgs/${ctx.organization.slug}/agents/${agentId}`);
}

export default function AgentDetail() {
  const { slug, canManage, agent, tokens, usages } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const failed = actionData?.intent === 'update' ? actionData : undefined;
  return (
    <div className="space-y-6">
      <Link to={`/orgs/${slug}/agents`} className="inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-4" aria-hidden /> Agents
      </Link>
      <PageHeader
        title={agent.name}
        description={agent.description || `Created ${format(new Date(agent.createdAt), 'd MMM yyyy')} · last used ${ago(agent.lastUsedAt).toLowerCase()}`}
        actions={
          canManage ? (
            <Form method="post">
              <input type="hidden" name="intent" value="rotate" />
              <Button type="submit" variant="secondary" disabled={navigation.state === 'submitting'}>
                <RotateCw className="size-4" aria-hidden /> Rotate token
              </Button>
            </Form>
          ) : null
        }
      />
      {actionData?.intent === 'rotate' ? <TokenOnce token={actionData.token} title="New token — the previous ones no longer work" /> : null}

      <section aria-labelledby="used-heading" className="space-y-3">
        <h2 id="used-heading" className="text-sm font-semibold text-slate-900">
          Credentials used
        </h2>
        {usages.length === 0 ? (
          <p className="text-sm text-slate-500">This agent has not used any credential yet.</p>
        ) : (
          <Card className="divide-y divide-slate-100">
            {usages.map((u) => (
              <div key={u.credentialId} className="flex flex-wrap items-center justify-between gap-2 px-4 py-3 text-sm">
                <Link to={`/orgs/${slug}/credentials/${u.credentialId}`} className="font-medium text-slate-900 hover:text-indigo-600">
                  {u.name}
                </Link>
                <span className="text-slate-500">
                  {ago(u.lastUsedAt)} · {u.useCount.toLocaleString('en')} use{u.useCount === 1 ? '' : 's'}
                </span>
              </div>
            ))}
          </Card>
        )}
      </section>

      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="text-sm font-semibold text-slate-900">
          Tokens
        </h2>
        <Card className="divide-y divide-slate-100">
          {tokens.map((t) => (
            <div key={t.id} className="flex flex-wrap items-center justify-between gap-2 px-4 py-3 text-sm">
              <div className="flex items-center gap-2">
                <code className="font-mono text-slate-800">{t.prefix}…</code>
                {t.revokedAt ? <Badge tone="red">Revoked</Badge> : <Badge tone="green">Active</Badge>}
              </div>
              <div className="flex items-center gap-3 text-slate-500">
                <span>
                  Created {format(new Date(t.createdAt), 'd MMM yyyy')} · last used {ago(t.lastUsedAt).toLowerCase()}
                </span>
                {canManage && !t.revokedAt ? (
                  <Form method="post">
                    <input type="hidden" name="intent" value="revoke" />
                    <input type="hidden" name="tokenId" value={t.id} />
                    <Button type="submit" variant="danger" size="sm">
                      Revoke
                    </Button>
                  </Form>
                ) : null}
              </div>
            </div>
          ))}
        </Card>
      </section>

      <section aria-labelledby="settings-heading" className="space-y-3">
        <h2 id="settings-heading" className="text-sm font-semibold text-slate-900">
          Settings
        </h2>
        <Card className="p-5">
          <Form method="post" className="grid gap-4 sm:grid-cols-2" noValidate>
            <input type="hidden" name="intent" value="update" />
            <Field label="Name" errors={failed?.fieldErrors.name} inputProps={{ name: 'name', defaultValue: failed?.values.name ?? agent.name, disabled: !canManage }} />
            <Field label="Description" errors={failed?.fieldErrors.description} inputProps={{ name: 'description', defaultValue: failed?.values.description ?? agent.description, disabled: !canManage }} />
            <div className="sm:col-span-2">
              <Label htmlFor="allowlist">Credentials it may use</Label>
              <textarea
                id="allowlist"
                name="allowlist"
                rows={3}
                disabled={!canManage}
                defaultValue={failed?.values.allowlist ?? agent.allowedCredentials.join('\n')}
                aria-invalid={failed?.fieldErrors.allowlist?.length ? true : undefined}
                className="mt-1.5 block w-full rounded-lg border-0 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-inset focus:ring-indigo-600 disabled:bg-slate-50 aria-[invalid=true]:ring-red-400"
              />
              <ErrorList errors={failed?.fieldErrors.allowlist} />
            </div>
            {canManage ? (
              <div className="flex flex-wrap justify-between gap-2 sm:col-span-2">
                <Button type="submit">Save</Button>
              </div>
            ) : null}
          </Form>
          {canManage ? (
            <Form
              method="post"
              className="mt-4 border-t border-slate-100 pt-4"
              onSubmit={(event) => {
                if (!confirm(`Delete ${agent.name}? Its tokens stop working at once.`)) event.preventDefault();
              }}
            >
              <input type="hidden" name="intent" value="delete" />
              <Button type="submit" variant="danger">
                Delete agent
              </Button>
            </Form>
          ) : null}
        </Card>
      </section>
    </div>
  );
}
