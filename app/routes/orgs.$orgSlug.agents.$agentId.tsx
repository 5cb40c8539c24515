// Agent detail: the doctor (its requirements checked, with one-click fixes), the requirements editor, allowlist with each entry's mode (editable by admins), tokens with rotate and revoke, and which credentials it used and when.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { format } from 'date-fns';
import { ArrowLeft, RotateCw } from 'lucide-react';
import {
  AgentError,
  credentialNameSuggestions,
  deleteAgent,
  getAgent,
  matchesAllowlist,
  parseAllowlist,
  revokeAgentToken,
  rotateAgentToken,
  unmatchedAllowlistEntries,
  updateAgent,
} from '~/agents/agents.server';
import { AllowlistInput, type NameSuggestions } from '~/agents/allowlist-input';
import { DeliversValuesBadge } from '~/agents/delivery-badge';
import { DoctorCard } from '~/agents/doctor-card';
import { runDoctor } from '~/agents/doctor.server';
import { readRequirements, requirementsSchema } from '~/agents/requirements';
import { RequirementsEditor } from '~/agents/requirements-editor';
import {
  catalogRequirementErrors,
  requirementInputs,
  requirementRows,
  requirementRowsFromForm,
  type RequirementRow,
} from '~/agents/requirements-form';
import { setAgentRequirements } from '~/agents/requirements.server';
import { agentActor, allowlistFieldErrors } from '~/agents/route-helpers.server';
import { TokenOnce } from '~/agents/token-once';
import { RelativeTime } from '~/components/credentials/relative-time';
import { Button } from '~/components/ui/button';
import { Badge, Card, PageHeader } from '~/components/ui/card';
import { Field } from '~/components/ui/field';
import { getEnv } from '~/config/env.server';
import { fieldErrorsFromZod } from '~/credentials/schemas';
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
  const now = new Date();
  const [unmatched, suggestions, doctor] = await Promise.all([
    unmatchedAllowlistEntries(organization.id, agent.allowedCredentials),
    // Only people who edit the allowlist get the names offered; everyone sees the server's warning.
    canManage ? credentialNameSuggestions(organization.id) : Promise.resolve<NameSuggestions>({ names: [], complete: false }),
    runDoctor(agent, getEnv().PUBLIC_URL, now),
  ]);
  return {
    slug: organization.slug,
    canManage,
    now,
    doctor,
    requirements: requirementRows(readRequirements(agent.requirements)),
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
  | { intent: 'requirements'; fieldErrors: Record<string, string[]>; values: RequirementRow[] }
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
    if (intent === 'requirements') {
      // A bad or foreign agent id answers 404 before any of the form is judged.
      await getAgent(ctx.organization.id, agentId);
      const rows = requirementRowsFromForm(form);
      const inputs = requirementInputs(rows);
      const refused = (fieldErrors: Record<string, string[]>) =>
        data<ActionData>({ intent: 'requirements', fieldErrors, values: rows }, { status: 400 });
      // The catalog checks come first and with the schema's own errors, so one save shows every problem and writes nothing.
      const catalogErrors = catalogRequirementErrors(rows);
      if (Object.keys(catalogErrors).length > 0) {
        const parsed = requirementsSchema.safeParse(inputs);
        return refused({ ...(parsed.success ? {} : requirementErrorKeys(fieldErrorsFromZod(parsed.error))), ...catalogErrors });
      }
      try {
        await setAgentRequirements(actor, agentId, inputs);
      } catch (error) {
        if (error instanceof AgentError && error.code === 'validation') return refused(requirementErrorKeys(error.fieldErrors));
        throw error;
      }
      return redirectWithToast(`/orgs/${ctx.organization.slug}/agents/${agentId}#requirements`, { type: 'success', title: 'Requirements saved' });
    }
    if (intent === 'allow') {
      // The doctor's one-click fix for "not allowed": the requirement's exact name joins the allowlist, in Proxy mode, audited as any allowlist change.
      const agent = await getAgent(ctx.organization.id, agentId);
      const name = String(form.get('name') ?? '').trim();
      const page = `/orgs/${ctx.organization.slug}/agents/${agentId}`;
      if (!readRequirements(agent.requirements).some((r) => r.name === name)) {
        return redirectWithToast(page, { type: 'error', title: 'Not a requirement', description: 'Only a requirement of this agent can be allowed from the doctor; edit the allowlist below.' });
      }
      if (!matchesAllowlist(agent.allowedCredentials, name)) {
        await updateAgent(actor, agentId, {
          name: agent.name,
          description: agent.description,
          allowedCredentials: [...agent.allowedCredentials, name],
          deliverCredentials: agent.deliverCredentials,
        });
      }
      return redirectWithToast(page, { type: 'success', title: `Allowed ${name}`, description: `${agent.name} may use it now (Proxy: it never sees the value).` });
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

/** The service's keys (`0.name`, `form`) as the editor names its fields (`requirements.0.name`, `requirements`). */
function requirementErrorKeys(fieldErrors: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(fieldErrors).map(([key, messages]) => [key === 'form' || key === '' ? 'requirements' : key.startsWith('requirements') ? key : `requirements.${key}`, messages]),
  );
}

export default function AgentDetail() {
  const { slug, canManage, agent, tokens, usages, now, suggestions, unmatched, doctor, requirements } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const failed = actionData?.intent === 'update' ? actionData : undefined;
  const refusedRequirements = actionData?.intent === 'requirements' ? actionData : undefined;
  const savingRequirements = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'requirements';
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

      <section id="doctor" aria-labelledby="doctor-heading" className="scroll-mt-6">
        <DoctorCard report={doctor} canManage={canManage} />
      </section>

      <section id="requirements" aria-labelledby="requirements-heading" className="scroll-mt-6">
        {/* Keyed on what is stored (and on a refused save), so a save shows the stored list and a refusal what was posted. */}
        <RequirementsEditor
          key={refusedRequirements ? `refused-${JSON.stringify(refusedRequirements.fieldErrors)}` : JSON.stringify(requirements)}
          rows={refusedRequirements?.values ?? requirements}
          errors={refusedRequirements?.fieldErrors}
          canManage={canManage}
          submitting={savingRequirements}
        />
      </section>

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
            <div id="allowlist" className="scroll-mt-6 sm:col-span-2">
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
