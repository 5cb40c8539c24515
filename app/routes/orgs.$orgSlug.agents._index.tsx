// Agents page: every agent with its allowlist (delivered grants marked), live tokens and last use; admins create agents and see the new token once.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { AlertTriangle, Bot, Plus } from 'lucide-react';
import { useState } from 'react';
import {
  AgentError,
  createAgent,
  credentialNameSuggestions,
  listAgents,
  parseAllowlist,
  unmatchedAllowlistEntries,
} from '~/agents/agents.server';
import { toAllowlistEntries } from '~/agents/allowlist';
import { AllowlistInput, UnmatchedWarning, type NameSuggestions } from '~/agents/allowlist-input';
import { DeliversValuesBadge, DeliverTag } from '~/agents/delivery-badge';
import { agentActor, allowlistFieldErrors } from '~/agents/route-helpers.server';
import { TokenOnce } from '~/agents/token-once';
import { Button } from '~/components/ui/button';
import { Badge, Card, EmptyState, PageHeader } from '~/components/ui/card';
import { Field } from '~/components/ui/field';
import { memberCan, requireMembership } from '~/orgs/membership.server';
import { LastUsed } from '~/usage/last-used';
import { cn } from '~/utils/misc';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Agents · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const { organization } = ctx;
  const canManage = memberCan(ctx, 'agent.manage');
  const agents = await listAgents(organization.id);
  const [unmatched, suggestions] = await Promise.all([
    unmatchedAllowlistEntries(organization.id, [...new Set(agents.flatMap((a) => a.allowedCredentials))]),
    canManage ? credentialNameSuggestions(organization.id) : Promise.resolve<NameSuggestions>({ names: [], complete: false }),
  ]);
  return {
    slug: organization.slug,
    canManage,
    now: new Date(),
    suggestions,
    agents: agents.map((a) => ({
      id: a.id,
      name: a.name,
      description: a.description,
      allowedCredentials: toAllowlistEntries(a.allowedCredentials, a.deliverCredentials).map(({ credential, mode }) => ({
        pattern: credential,
        mode,
        matchesNothing: unmatched.includes(credential),
      })),
      lastUsedAt: a.lastUsedAt,
      tokenPrefixes: a.tokens.map((t) => t.prefix),
      credentialsUsed: a._count.usages,
    })),
  };
}

type ActionData =
  | { ok: true; agentId: string; agentName: string; token: string; unmatched: string[] }
  | { ok: false; fieldErrors: Record<string, string[]>; values: { name: string; description: string; allowlist: string[]; deliver: string[] } };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'agent.manage');
  const form = await readFormData(request);
  const values = {
    name: String(form.get('name') ?? ''),
    description: String(form.get('description') ?? ''),
    allowlist: parseAllowlist(form.getAll('allowlist').map(String)),
    deliver: parseAllowlist(form.getAll('deliver').map(String)),
  };
  try {
    const { agent, token } = await createAgent(agentActor(ctx, request, context), {
      name: values.name,
      description: values.description,
      allowedCredentials: values.allowlist,
      deliverCredentials: values.deliver,
    });
    const unmatched = await unmatchedAllowlistEntries(ctx.organization.id, agent.allowedCredentials);
    // The token travels in this one response only; it is never stored or loaded again.
    return data<ActionData>(
      { ok: true, agentId: agent.id, agentName: agent.name, token, unmatched },
      { headers: { 'Cache-Control': 'no-store' } },
    );
  } catch (error) {
    if (error instanceof AgentError && error.code !== 'forbidden') {
      return data<ActionData>({ ok: false, fieldErrors: allowlistFieldErrors(error.fieldErrors), values }, { status: 400 });
    }
    throw error;
  }
}

function CreateAgentForm({
  failed,
  suggestions,
  onCancel,
}: {
  failed: Extract<ActionData, { ok: false }> | undefined;
  suggestions: NameSuggestions;
  onCancel: () => void;
}) {
  const navigation = useNavigation();
  return (
    <Card className="p-5">
      <h2 className="text-base font-semibold text-slate-900">New agent</h2>
      <Form method="post" className="mt-4 grid gap-4 sm:grid-cols-2" noValidate>
        <Field
          label="Name"
          errors={failed?.fieldErrors.name}
          inputProps={{ name: 'name', required: true, defaultValue: failed?.values.name, placeholder: 'release-bot', autoComplete: 'off' }}
        />
        <Field
          label="Description"
          errors={failed?.fieldErrors.description}
          inputProps={{ name: 'description', defaultValue: failed?.values.description, placeholder: 'Ships releases on Fridays' }}
        />
        <div className="sm:col-span-2">
          <AllowlistInput
            defaultValue={failed?.values.allowlist ?? []}
            defaultDeliver={failed?.values.deliver ?? []}
            suggestions={suggestions}
            errors={failed?.fieldErrors.allowlist}
          />
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
  const { slug, canManage, agents, now, suggestions } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  // The form is open for the answer it was opened after: once an agent is created (a new answer), it
  // closes and its values are gone, so the same agent cannot be submitted twice; "New agent" opens an empty one.
  const [openedAfter, setOpenedAfter] = useState<ActionData | undefined | null>(null);
  const failed = actionData && !actionData.ok ? actionData : undefined;
  const created = actionData?.ok ? actionData : undefined;
  const showForm = canManage && (failed !== undefined || (openedAfter !== null && openedAfter === actionData));
  return (
    <div className="space-y-6">
      <PageHeader
        title="Agents"
        description="The AI agents allowed to use this organization’s credentials, each with its own token."
        actions={
          canManage && !showForm ? (
            <Button onClick={() => setOpenedAfter(actionData)}>
              <Plus className="size-4" aria-hidden /> New agent
            </Button>
          ) : null
        }
      />
      {created && !showForm ? (
        <div className="space-y-2">
          <TokenOnce token={created.token} title={`Token for ${created.agentName}`} />
          <p className="text-sm text-slate-600">
            The agent sends it as <code className="rounded bg-slate-100 px-1">Authorization: Bearer …</code> to{' '}
            <code className="rounded bg-slate-100 px-1">/api/v1/proxy/&lt;credential&gt;/…</code>.{' '}
            <Link to={`/orgs/${slug}/agents/${created.agentId}`} className="font-medium text-indigo-600 hover:text-indigo-500">
              Open the agent
            </Link>
          </p>
          <UnmatchedWarning entries={created.unmatched} />
        </div>
      ) : null}
      {showForm ? <CreateAgentForm failed={failed} suggestions={suggestions} onCancel={() => setOpenedAfter(null)} /> : null}
      {agents.length === 0 ? (
        <EmptyState
          icon={<Bot className="size-5" aria-hidden />}
          title="No agents yet"
          description="Agents call Latchkey with a token and get their requests signed with a credential — they never see the secret itself."
        />
      ) : (
        <Card className="divide-y divide-slate-100">
          {agents.map((agent) => (
            <div key={agent.id} className="relative flex flex-col gap-2 p-4 hover:bg-slate-50 sm:flex-row sm:items-center sm:justify-between">
              <div className="min-w-0">
                {/* Badges wrap under the name on a narrow screen rather than squeezing it. */}
                <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
                  <Bot className="size-4 shrink-0 text-slate-400" aria-hidden />
                  {/* The whole row is the link's hit area; the last-used time stays focusable for its tooltip. */}
                  <Link to={agent.id} className="truncate font-medium text-slate-900 after:absolute after:inset-0 focus-visible:outline-none">
                    {agent.name}
                  </Link>
                  {agent.tokenPrefixes.length === 0 ? <Badge tone="amber">No active token</Badge> : null}
                  {/* Above the row's link, so its tooltip opens on hover and focus. */}
                  <DeliversValuesBadge className="relative" patterns={agent.allowedCredentials.filter((e) => e.mode === 'deliver').map((e) => e.pattern)} />
                </div>
                {agent.description ? <p className="mt-0.5 truncate text-sm text-slate-500">{agent.description}</p> : null}
                <div className="mt-1.5 flex flex-wrap gap-1">
                  {agent.allowedCredentials.length === 0 ? (
                    <span className="text-xs text-slate-400">No credentials allowed</span>
                  ) : (
                    agent.allowedCredentials.map(({ pattern, mode, matchesNothing }) => (
                      <Badge
                        key={pattern}
                        tone={matchesNothing ? 'amber' : 'slate'}
                        className={cn('gap-1 font-mono', mode === 'deliver' && !matchesNothing ? 'ring-amber-300' : null)}
                        title={matchesNothing ? 'Matches no credential in this organization' : undefined}
                      >
                        {matchesNothing ? <AlertTriangle className="size-3" aria-label="Matches no credential" /> : null}
                        {pattern}
                        {mode === 'deliver' ? <DeliverTag className="-mr-1" /> : null}
                      </Badge>
                    ))
                  )}
                </div>
              </div>
              <div className="relative shrink-0 text-sm text-slate-500 sm:text-right">
                <div>
                  <LastUsed at={agent.lastUsedAt} now={now} />
                </div>
                <div className="text-xs">
                  {agent.credentialsUsed} credential{agent.credentialsUsed === 1 ? '' : 's'} used
                </div>
              </div>
            </div>
          ))}
        </Card>
      )}
    </div>
  );
}
