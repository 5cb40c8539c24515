// Agents page: every agent with its allowlist, live tokens and last use; admins create agents and see the new token once.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { formatDistanceToNowStrict } from 'date-fns';
import { Bot, Plus } from 'lucide-react';
import { useState } from 'react';
import { AgentError, createAgent, listAgents, parseAllowlist } from '~/agents/agents.server';
import { agentActor } from '~/agents/route-helpers.server';
import { TokenOnce } from '~/agents/token-once';
import { Button } from '~/components/ui/button';
import { Badge, Card, EmptyState, PageHeader } from '~/components/ui/card';
import { ErrorList, Field, Label } from '~/components/ui/field';
import { requireMembership } from '~/orgs/membership.server';
import { hasRole } from '~/orgs/roles';
import { forbidden } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Agents · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  const agents = await listAgents(organization.id);
  return {
    slug: organization.slug,
    canManage: hasRole(membership.role, 'admin'),
    agents: agents.map((a) => ({
      id: a.id,
      name: a.name,
      description: a.description,
      allowedCredentials: a.allowedCredentials,
      lastUsedAt: a.lastUsedAt?.toISOString() ?? null,
      tokenPrefixes: a.tokens.map((t) => t.prefix),
      credentialsUsed: a._count.usages,
    })),
  };
}

type ActionData =
  | { ok: true; agentId: string; agentName: string; token: string }
  | { ok: false; fieldErrors: Record<string, string[]>; values: { name: string; description: string; allowlist: string } };

export async function action({ request, params }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  if (!hasRole(ctx.membership.role, 'admin')) throw forbidden('Only owners and admins can create agents.');
  const form = await request.formData();
  const values = {
    name: String(form.get('name') ?? ''),
    description: String(form.get('description') ?? ''),
    allowlist: String(form.get('allowlist') ?? ''),
  };
  try {
    const { agent, token } = await createAgent(agentActor(ctx, request), {
      name: values.name,
      description: values.description,
      allowedCredentials: parseAllowlist(values.allowlist),
    });
    // The token travels in this one response only; it is never stored or loaded again.
    return data<ActionData>({ ok: true, agentId: agent.id, agentName: agent.name, token }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (error) {
    if (error instanceof AgentError) {
      const { allowedCredentials, ...rest } = error.fieldErrors;
      return data<ActionData>({ ok: false, fieldErrors: { ...rest, ...(allowedCredentials ? { allowlist: allowedCredentials } : {}) }, values }, { status: 400 });
    }
    throw error;
  }
}

function CreateAgentForm({ actionData, onCancel }: { actionData: ActionData | undefined; onCancel: () => void }) {
  const navigation = useNavigation();
  const failed = actionData && !actionData.ok ? actionData : undefined;
  const allowlistErrors = failed?.fieldErrors.allowlist;
  return (
    <Card className="p-5">
      <h2 className="text-base font-semibold text-slate-900">New agent</h2>
      <Form method="post" className="mt-4 grid gap-4 sm:grid-cols-2" noValidate>
        <Field label="Name" errors={failed?.fieldErrors.name} inputProps={{ name: 'name', required: true, defaultValue: failed?.values.name, placeholder: 'release-bot', autoComplete: 'off' }} />
        <Field label="Description" errors={failed?.fieldErrors.description} inputProps={{ name: 'description', defaultValue: failed?.values.description, placeholder: 'Ships releases on Fridays' }} />
        <div className="sm:col-span-2">
          <Label htmlFor="allowlist">Credentials it may use</Label>
          <textarea
            id="allowlist"
            name="allowlist"
            rows={3}
            defaultValue={failed?.values.allowlist}
            placeholder={'github_*\nopenai-prod'}
            aria-invalid={allowlistErrors?.length ? true : undefined}
            aria-describedby={allowlistErrors?.length ? 'allowlist-error' : 'allowlist-hint'}
            className="mt-1.5 block w-full rounded-lg border-0 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 aria-[invalid=true]:ring-red-400"
          />
          {allowlistErrors?.length ? (
            <ErrorList id="allowlist-error" errors={allowlistErrors} />
          ) : (
            <p id="allowlist-hint" className="mt-1.5 text-xs text-slate-500">
              Credential names, one per line or comma-separated; <code>*</code> matches anything (e.g. <code>github_*</code>).
            </p>
          )}
        </div>
        <div className="flex gap-2 sm:col-span-2">
          <Button type="submit" disabled={navigation.state === 'submitting'}>
            {navigation.state === 'submitting' ? 'Creating…' : 'Create agent'}
          </Button>
          <Button type="button" variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </Form>
    </Card>
  );
}

export default function AgentsPage() {
  const { slug, canManage, agents } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const [creating, setCreating] = useState(false);
  const showForm = canManage && (creating || (actionData !== undefined && !actionData.ok));
  return (
    <div className="space-y-6">
      <PageHeader
        title="Agents"
        description="The AI agents allowed to use this organization’s credentials, each with its own token."
        actions={
          canManage && !showForm ? (
            <Button onClick={() => setCreating(true)}>
              <Plus className="size-4" aria-hidden /> New agent
            </Button>
          ) : null
        }
      />
      {actionData?.ok ? (
        <div className="space-y-2">
          <TokenOnce token={actionData.token} title={`Token for ${actionData.agentName}`} />
          <p className="text-sm text-slate-600">
            The agent sends it as <code className="rounded bg-slate-100 px-1">Authorization: Bearer …</code> to{' '}
            <code className="rounded bg-slate-100 px-1">/api/v1/proxy/&lt;credential&gt;/…</code>.{' '}
            <Link to={`/orgs/${slug}/agents/${actionData.agentId}`} className="font-medium text-indigo-600 hover:text-indigo-500">
              Open the agent
            </Link>
          </p>
        </div>
      ) : null}
      {showForm ? <CreateAgentForm actionData={actionData} onCancel={() => setCreating(false)} /> : null}
      {agents.length === 0 ? (
        <EmptyState
          icon={<Bot className="size-5" aria-hidden />}
          title="No agents yet"
          description="Agents call Latchkey with a token and get their requests signed with a credential — they never see the secret itself."
        />
      ) : (
        <Card className="divide-y divide-slate-100">
          {agents.map((agent) => (
            <Link key={agent.id} to={agent.id} className="flex flex-col gap-2 p-4 hover:bg-slate-50 sm:flex-row sm:items-center sm:justify-between">
              <div className="min-w-0">
                <div className="flex items-center gap-2">
                  <Bot className="size-4 text-slate-400" aria-hidden />
                  <span className="truncate font-medium text-slate-900">{agent.name}</span>
                  {agent.tokenPrefixes.length === 0 ? <Badge tone="amber">No active token</Badge> : null}
                </div>
                {agent.description ? <p className="mt-0.5 truncate text-sm text-slate-500">{agent.description}</p> : null}
                <div className="mt-1.5 flex flex-wrap gap-1">
                  {agent.allowedCredentials.length === 0 ? (
                    <span className="text-xs text-slate-400">No credentials allowed</span>
                  ) : (
                    agent.allowedCredentials.map((p) => (
                      <Badge key={p} className="font-mono">
                        {p}
                      </Badge>
                    ))
                  )}
                </div>
              </div>
              <div className="shrink-0 text-sm text-slate-500 sm:text-right">
                <div>{agent.lastUsedAt ? `Used ${formatDistanceToNowStrict(new Date(agent.lastUsedAt), { addSuffix: true })}` : 'Never used'}</div>
                <div className="text-xs">{agent.credentialsUsed} credential{agent.credentialsUsed === 1 ? '' : 's'} used</div>
              </div>
            </Link>
          ))}
        </Card>
      )}
    </div>
  );
}
