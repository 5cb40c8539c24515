// Agent detail: allowlist with each entry's mode (editable by admins), tokens with rotate and revoke, and which credentials it used and when.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { format } from 'date-fns';
import { ArrowLeft, RotateCw } from 'lucide-react';
import {
  AgentError,
  credentialNameSuggestions,
  deleteAgent,
  getAgent,
  parseAllowlist,
  revokeAgentToken,
  rotateAgentToken,
  unmatchedAllowlistEntries,
  updateAgent,
} from '~/agents/agents.server';
import { AllowlistInput, type NameSuggestions } from '~/agents/allowlist-input';
import { DeliversValuesBadge } from '~/agents/delivery-badge';
import { agentActor, allowlistFieldErrors } from '~/agents/route-helpers.server';
import { TokenOnce } from '~/agents/token-once';
import { RelativeTime } from '~/components/credentials/relative-time';
import { Button } from '~/components/ui/button';
import { Badge, Card, PageHeader } from '~/components/ui/card';
import { Field } from '~/components/ui/field';
import { memberCan, requireMembership } from '~/orgs/membership.server';
import { LastUsed } from '~/usage/last-used';
import { forbidden, notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.agent.name ?? 'Agent'} · Agents · Latchkey` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const { organization } = ctx;
  const canManage = memberCan(ctx, 'agent.manage');
  const agent = await getAgent(organization.id, params.agentId ?? '').catch((error: unknown) => {
    if (error instanceof AgentError) throw notFound();
    throw error;
  });
  const [unmatched, suggestions] = await Promise.all([
    unmatchedAllowlistEntries(organization.id, agent.allowedCredentials),
    // Only people who edit the allowlist get the names offered; everyone sees the server's warning.
    canManage ? credentialNameSuggestions(organization.id) : Promise.resolve<NameSuggestions>({ names: [], complete: false }),
  ]);
  return {
    slug: organization.slug,
    canManage,
    now: new Date(),
    suggestions,
    unmatched,
    agent: {
      id: agent.id,
      name: agent.name,
      description: agent.description,
      allowedCredentials: agent.allowedCredentials,
      deliverCredentials: agent.deliverCredentials,
      createdAt: agent.createdAt,
      lastUsedAt: agent.lastUsedAt,
    },
    tokens: agent.tokens.map((t) => ({
      id: t.id,
      prefix: t.prefix,
      createdAt: t.createdAt,
      lastSeenAt: t.lastUsedAt,
      revokedAt: t.revokedAt,
    })),
    usages: agent.usages.map((u) => ({
      credentialId: u.credential.id,
      name: u.credential.name,
      service: u.credential.service,
      status: u.credential.status,
      lastUsedAt: u.lastUsedAt,
      useCount: Number(u.useCount),
    })),
  };
}

type ActionData =
  | { intent: 'rotate'; token: string }
  | { intent: 'update'; fieldErrors: Record<string, string[]>; values: { name: string; description: string; allowlist: string[]; deliver: string[] } };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'agent.manage');
  const actor = agentActor(ctx, request, context);
  const agentId = params.agentId ?? '';
  const form = await readFormData(request);
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
      const values = {
        name: String(form.get('name') ?? ''),
        description: String(form.get('description') ?? ''),
        allowlist: parseAllowlist(form.getAll('allowlist').map(String)),
        deliver: parseAllowlist(form.getAll('deliver').map(String)),
      };
      try {
        await updateAgent(actor, agentId, {
          name: values.name,
          description: values.description,
          allowedCredentials: values.allowlist,
          deliverCredentials: values.deliver,
        });
      } catch (error) {
        if (error instanceof AgentError && error.code !== 'not_found' && error.code !== 'forbidden') {
          return data<ActionData>({ intent: 'update', fieldErrors: allowlistFieldErrors(error.fieldErrors), values }, { status: 400 });
        }
        throw error;
      }
      // Entries that match nothing are allowed (the credential may come later); the page keeps warning about them.
      return redirectWithToast(`/orgs/${ctx.organization.slug}/agents/${agentId}`, { type: 'success', title: 'Agent saved' });
    }
  } catch (error) {
    if (error instanceof AgentError && error.code === 'not_found') throw notFound();
    if (error instanceof AgentError && error.code === 'forbidden') throw forbidden(error.message);
    throw error;
  }
  return redirect(`/orgs/${ctx.organization.slug}/agents/${agentId}`);
}

export default function AgentDetail() {
  const { slug, canManage, agent, tokens, usages, now, suggestions, unmatched } = useLoaderData<typeof loader>();
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
        description={
          <>
            {agent.description ? <span className="block">{agent.description}</span> : null}
            <span>
              Created {format(new Date(agent.createdAt), 'd MMM yyyy')} · <LastUsed at={agent.lastUsedAt} now={now} />
            </span>
            {agent.deliverCredentials.length > 0 ? (
              <span className="mt-2 flex">
                <DeliversValuesBadge patterns={agent.deliverCredentials} />
              </span>
            ) : null}
          </>
        }
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
                <Link to={`/orgs/${slug}/credentials/${u.credentialId}`} className="font-mono font-medium text-slate-900 hover:text-indigo-600">
                  {u.name}
                </Link>
                <span className="text-slate-500">
                  <LastUsed at={u.lastUsedAt} now={now} /> · {u.useCount.toLocaleString('en')} request{u.useCount === 1 ? '' : 's'}
                </span>
              </div>
            ))}
          </Card>
        )}
      </section>

      <section aria-labelledby="tokens-heading" className="space-y-3">
        <div>
          <h2 id="tokens-heading" className="text-sm font-semibold text-slate-900">
            Tokens
          </h2>
          <p className="mt-0.5 text-xs text-slate-500">“Last seen” counts every request made with the token, also ones that were refused.</p>
        </div>
        <Card className="divide-y divide-slate-100">
          {tokens.map((t) => (
            <div key={t.id} className="flex flex-wrap items-center justify-between gap-2 px-4 py-3 text-sm">
              <div className="flex items-center gap-2">
                <code className="font-mono text-slate-800">{t.prefix}…</code>
                {t.revokedAt ? <Badge tone="red">Revoked</Badge> : <Badge tone="green">Active</Badge>}
              </div>
              <div className="flex flex-wrap items-center gap-3 text-slate-500">
                <span>
                  Created {format(new Date(t.createdAt), 'd MMM yyyy')} · Last seen <RelativeTime date={t.lastSeenAt} now={now} empty="never" />
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
            <Field
              label="Description"
              errors={failed?.fieldErrors.description}
              inputProps={{ name: 'description', defaultValue: failed?.values.description ?? agent.description, disabled: !canManage }}
            />
            <div className="sm:col-span-2">
              {/* Keyed on the saved list and modes, so a save (or a change elsewhere) shows the stored entries, not stale chips. */}
              <AllowlistInput
                key={`${agent.allowedCredentials.join('\n')}|${agent.deliverCredentials.join('\n')}`}
                defaultValue={failed?.values.allowlist ?? agent.allowedCredentials}
                defaultDeliver={failed?.values.deliver ?? agent.deliverCredentials}
                suggestions={suggestions}
                knownUnmatched={unmatched}
                errors={failed?.fieldErrors.allowlist}
                disabled={!canManage}
              />
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
