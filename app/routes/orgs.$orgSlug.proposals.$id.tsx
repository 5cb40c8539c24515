// The approval page of one proposal: the agent's message and one card per credential it asks for (fill in, reveal the agent's value, connect, grant or delete), then Approve for the whole proposal or Reject with a reason.
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { ArrowLeft, CircleAlert, CircleCheck, Clock, ExternalLink, Info, Lock, XCircle } from 'lucide-react';
import { useEffect, useState } from 'react';
import { NO_STORE_HEADERS } from '~/components/credential-forms/route-helpers.server';
import { SlotCard, type SlotCardProps } from '~/components/proposals/slot-card';
import { ProposalStatusBadge } from '~/components/proposals/proposal-parts';
import { Button } from '~/components/ui/button';
import { Card, PageHeader } from '~/components/ui/card';
import { Label } from '~/components/ui/field';
import { Textarea } from '~/components/credential-forms/form-fields';
import { ErrorList } from '~/components/ui/field';
import { getEnv } from '~/config/env.server';
import { credentialActor } from '~/credentials/actor.server';
import { credentialFieldsFor, oauthSpecFor, type CredentialType } from '~/credentials/catalog';
import { connectOptions } from '~/oauth/apps.server';
import { OAuthError } from '~/oauth/errors';
import { memberCan, requireMembership } from '~/orgs/membership.server';
import { deniedMessage } from '~/orgs/permissions';
import { existingCredentialsOf } from '~/proposals/existing.server';
import { echoedValues, fileSlots, readApprovalForm } from '~/proposals/approval-form.server';
import { approvalPath } from '~/proposals/paths';
import { isSensitiveKind, type ProposalView } from '~/proposals/proposals';
import { approveProposal, connectSlot, getProposal, ProposalError, rejectProposal, revealSuppliedValue } from '~/proposals/proposals.server';
import { badRequest, forbidden, notFound } from '~/utils/http.server';
import { cn } from '~/utils/misc';
import { exactText, relativeText } from '~/utils/relative-time';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction<typeof loader> = ({ data: d }) => [
  { title: d ? `Proposal from ${d.proposal.agent.name} · Latchkey` : 'Proposal · Latchkey' },
  { name: 'robots', content: 'noindex' },
];

/** The page leads to agent-supplied values and takes secrets: nothing of it is kept by a browser or proxy. */
export const headers: HeadersFunction = () => NO_STORE_HEADERS;

async function loadProposal(organizationId: string, id: string | undefined): Promise<ProposalView> {
  try {
    return await getProposal({ organizationId }, id ?? '', { publicUrl: getEnv().PUBLIC_URL });
  } catch (error) {
    if (error instanceof ProposalError && error.code === 'not_found') throw notFound();
    throw error;
  }
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const proposal = await loadProposal(ctx.organization.id, params.id);
  const canReview = memberCan(ctx, 'proposal.review');
  const canApproveSensitive = memberCan(ctx, 'proposal.approve_sensitive');
  // Which OAuth apps each connect slot may use (a choice only when there are several).
  const apps: Record<number, Array<{ id: string; name: string; detail: string }>> = {};
  if (proposal.status === 'pending' && canReview) {
    for (const slot of proposal.credentials) {
      const spec = slot.kind === 'connect' && slot.service ? oauthSpecFor(slot.service) : undefined;
      if (spec && spec.oauthProvider !== 'custom') apps[slot.position] = await connectOptions(ctx.organization.id, spec.oauthProvider);
    }
  }
  const existing = await existingCredentialsOf(ctx.organization.id, proposal);
  return data(
    {
      slug: ctx.organization.slug,
      now: new Date().toISOString(),
      // The view never carries a value the agent supplied (only hasValue).
      proposal,
      apps,
      canReview,
      canApproveSensitive,
      reviewDenied: canReview ? null : deniedMessage(ctx.membership.role, 'proposal.review'),
      sensitiveDenied: canApproveSensitive ? null : deniedMessage(ctx.membership.role, 'proposal.approve_sensitive'),
      hasFiles: fileSlots(proposal).length > 0,
      uploadMaxBytes: getEnv().UPLOAD_MAX_BYTES,
      existing,
    },
    { headers: NO_STORE_HEADERS },
  );
}

export interface RevealedField {
  name: string;
  label: string;
  value: string;
}

export type ApprovalActionData =
  | { intent: 'approve'; message: string; fieldErrors: Record<string, string[]>; values: Record<string, string> }
  | { intent: 'reject'; message: string; fieldErrors: Record<string, string[]> }
  | { intent: 'reveal'; position: number; fields: RevealedField[] }
  | { intent: 'reveal' | 'connect'; position: number; message: string };

function statusOf(error: ProposalError): number {
  return { not_found: 404, forbidden: 403, validation: 400, conflict: 409, limit: 409 }[error.code];
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const proposal = await loadProposal(ctx.organization.id, params.id);
  const actor = credentialActor(ctx, request, context);
  const publicUrl = getEnv().PUBLIC_URL;
  const self = approvalPath(ctx.organization.slug, proposal.id);

  let parsed: Awaited<ReturnType<typeof readApprovalForm>>;
  try {
    parsed = await readApprovalForm(request, proposal);
  } catch (error) {
    if (!(error instanceof ProposalError)) throw error;
    return data<ApprovalActionData>({ intent: 'approve', message: error.message, fieldErrors: error.fieldErrors, values: {} }, { status: 400, headers: NO_STORE_HEADERS });
  }
  const { form, values } = parsed;
  const intent = form.get('intent');
  const position = Number(form.get('position'));

  try {
    switch (intent) {
      case 'approve': {
        const approved = await approveProposal(actor, proposal.id, { values }, { publicUrl });
        const created = approved.credentials.filter((c) => c.kind !== 'delete').length;
        return redirectWithToast(self, {
          type: 'success',
          title: 'Proposal approved',
          description: `${approved.agent.name} now has access to ${created} credential${created === 1 ? '' : 's'}.`,
        });
      }
      case 'reject': {
        await rejectProposal(actor, proposal.id, { reason: form.get('reason') ?? '' }, { publicUrl });
        return redirectWithToast(self, { type: 'success', title: 'Proposal rejected', description: `${proposal.agent.name} reads your reason.` });
      }
      case 'reveal': {
        if (!Number.isSafeInteger(position)) throw badRequest('Unknown credential');
        const fields = await revealSuppliedValue(actor, proposal.id, position);
        const slot = proposal.credentials.find((c) => c.position === position);
        const specs = slot?.service && slot.type ? credentialFieldsFor(slot.service, slot.type as CredentialType) : [];
        return data<ApprovalActionData>(
          {
            intent: 'reveal',
            position,
            fields: Object.entries(fields).map(([name, value]) => ({ name, label: specs.find((s) => s.name === name)?.label ?? name, value })),
          },
          { headers: NO_STORE_HEADERS },
        );
      }
      case 'connect': {
        if (!Number.isSafeInteger(position)) throw badRequest('Unknown credential');
        const appId = form.get('appId');
        const { authorizationUrl } = await connectSlot(actor, ctx.session.id, proposal.id, position, typeof appId === 'string' && appId ? appId : null);
        return redirect(authorizationUrl, { headers: NO_STORE_HEADERS });
      }
      default:
        throw badRequest('Unknown action');
    }
  } catch (error) {
    const known = error instanceof ProposalError || error instanceof OAuthError;
    if (!known) throw error;
    if (error instanceof ProposalError && error.code === 'not_found' && intent !== 'reveal' && intent !== 'connect') throw notFound();
    const status = error instanceof ProposalError ? statusOf(error) : error.code === 'forbidden' ? 403 : 400;
    const headers = NO_STORE_HEADERS;
    if (intent === 'reveal' || intent === 'connect') {
      if (error instanceof OAuthError && error.code === 'not_found') throw notFound();
      return data<ApprovalActionData>({ intent, position, message: error.message }, { status, headers });
    }
    if (error instanceof OAuthError) throw error.code === 'forbidden' ? forbidden(error.message) : error;
    if (intent === 'reject') return data<ApprovalActionData>({ intent: 'reject', message: error.message, fieldErrors: error.fieldErrors }, { status, headers });
    return data<ApprovalActionData>(
      { intent: 'approve', message: error.message, fieldErrors: error.fieldErrors, values: echoedValues(proposal, values) },
      { status, headers },
    );
  }
}

export default function ProposalApprovalPage() {
  const { slug, proposal, now, canReview, canApproveSensitive, reviewDenied, sensitiveDenied, hasFiles, apps, existing } = useLoaderData<typeof loader>();
  const actionData = useActionData() as ApprovalActionData | undefined;
  const navigation = useNavigation();
  const pending = proposal.status === 'pending';
  const approveResult = actionData?.intent === 'approve' ? actionData : null;
  const connectResult = actionData?.intent === 'connect' && 'message' in actionData ? actionData : null;
  const needsAdmin = proposal.credentials.some((c) => isSensitiveKind(c.kind));
  const blockedBySensitive = needsAdmin && !canApproveSensitive;
  const editable = pending && canReview && !blockedBySensitive;
  const submittingIntent = navigation.state === 'submitting' ? navigation.formData?.get('intent') : null;
  // Each refused approval remounts the inputs: secrets come back empty, typed non-secrets from the answer.
  const [attempt, setAttempt] = useState({ result: approveResult, count: 0 });
  const [rejecting, setRejecting] = useState(false);
  // A refused rejection keeps its panel open with the error.
  useEffect(() => {
    if (actionData?.intent === 'reject') setRejecting(true);
  }, [actionData]);
  if (attempt.result !== approveResult) setAttempt({ result: approveResult, count: attempt.count + 1 });

  const slotProps = (slot: ProposalView['credentials'][number]): SlotCardProps => ({
    slug,
    slot,
    editable,
    pending,
    canReveal: pending && canApproveSensitive,
    sensitiveDenied: isSensitiveKind(slot.kind) && !canApproveSensitive && pending ? sensitiveDenied : null,
    errors: approveResult?.fieldErrors ?? {},
    values: approveResult?.values ?? {},
    resetKey: attempt.count,
    apps: apps[slot.position] ?? [],
    connectError: connectResult?.position === slot.position ? connectResult.message : null,
    existing: existing[slot.name] ?? null,
  });

  return (
    <div className="space-y-6">
      <PageHeader
        title={`Proposal from ${proposal.agent.name}`}
        description={
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <ProposalStatusBadge status={proposal.status} />
            <span>
              Asked <time dateTime={proposal.createdAt} title={exactText(new Date(proposal.createdAt))}>{relativeText(new Date(proposal.createdAt), new Date(now))}</time>
            </span>
            {pending ? (
              <span className="inline-flex items-center gap-1">
                <Clock className="size-3.5" aria-hidden />
                Expires <time dateTime={proposal.expiresAt} title={exactText(new Date(proposal.expiresAt))}>{relativeText(new Date(proposal.expiresAt), new Date(now))}</time>
              </span>
            ) : null}
          </span>
        }
        actions={
          <Button asChild variant="ghost">
            <Link to={`/orgs/${slug}/proposals`}>
              <ArrowLeft className="size-4" aria-hidden />
              Proposals
            </Link>
          </Button>
        }
      />

      <Decision proposal={proposal} now={now} slug={slug} />

      <Card className="p-5">
        <div className="flex flex-wrap items-center gap-2 text-sm text-slate-500">
          <span>Agent</span>
          <Link to={`/orgs/${slug}/agents/${proposal.agent.id}`} className="font-mono font-semibold text-indigo-700 hover:text-indigo-600">
            {proposal.agent.name}
          </Link>
          <span>says:</span>
        </div>
        <blockquote className="mt-2 border-l-2 border-indigo-200 pl-3 text-sm whitespace-pre-wrap text-slate-800 [overflow-wrap:anywhere]">{proposal.message}</blockquote>
      </Card>

      {pending && !canReview && reviewDenied ? <Notice icon={Lock}>{reviewDenied} You can read this proposal.</Notice> : null}
      {pending && canReview && blockedBySensitive && sensitiveDenied ? (
        <Notice icon={Lock}>
          {sensitiveDenied} This one does: ask an admin to approve it. You can still reject it.
        </Notice>
      ) : null}

      <Form method="post" encType={hasFiles ? 'multipart/form-data' : undefined} noValidate aria-label="Approve proposal" className="space-y-4">
        {approveResult ? (
          <div role="alert" className="flex gap-2.5 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
            <CircleAlert className="mt-0.5 size-4 shrink-0 text-red-600" aria-hidden />
            <div>
              <p className="font-semibold">{approveResult.message.startsWith('Nothing was applied') ? approveResult.message : `Nothing was applied: ${approveResult.message}`}</p>
              {Object.keys(approveResult.fieldErrors).length > 0 ? (
                <p className="mt-0.5 text-red-700">Fix the fields marked below. Secret values are not kept: enter them again.</p>
              ) : null}
            </div>
          </div>
        ) : null}

        <h2 className="text-sm font-semibold text-slate-900">
          {proposal.credentials.length} credential{proposal.credentials.length === 1 ? '' : 's'}
        </h2>
        <div className="space-y-4">
          {proposal.credentials.map((slot) => (
            <SlotCard key={slot.position} {...slotProps(slot)} />
          ))}
        </div>

        {pending && canReview ? (
          <Card className="flex flex-col gap-3 px-4 py-4 sm:flex-row sm:items-center sm:justify-between sm:px-5">
            <p className="text-sm text-slate-600">
              {editable ? (
                <>
                  Approving {proposal.credentials.some((c) => c.kind === 'delete') ? 'applies every change above' : 'creates these credentials'} and gives{' '}
                  <span className="font-mono font-medium text-slate-800">{proposal.agent.name}</span> access, all in one step.
                </>
              ) : (
                'An admin approves this proposal; you can reject it.'
              )}
            </p>
            <div className="flex flex-col-reverse gap-2 sm:flex-row">
              <Button type="button" variant="danger" onClick={() => setRejecting(true)} aria-expanded={rejecting} aria-controls="reject-panel">
                <XCircle className="size-4" aria-hidden />
                Reject…
              </Button>
              {editable ? (
                <Button type="submit" name="intent" value="approve" disabled={submittingIntent === 'approve'}>
                  <CircleCheck className="size-4" aria-hidden />
                  {submittingIntent === 'approve' ? 'Approving…' : 'Approve'}
                </Button>
              ) : null}
            </div>
          </Card>
        ) : null}
      </Form>
      {/* Connect buttons inside the cards submit these (their `form` attribute): forms cannot nest. */}
      {editable
        ? proposal.credentials
            .filter((c) => c.kind === 'connect')
            .map((c) => (
              <Form key={c.position} id={`connect-${c.position}`} method="post" className="hidden">
                <input type="hidden" name="position" value={c.position} />
              </Form>
            ))
        : null}

      {pending && canReview && rejecting ? (
        <RejectForm result={actionData?.intent === 'reject' ? actionData : null} busy={submittingIntent === 'reject'} onCancel={() => setRejecting(false)} />
      ) : null}
    </div>
  );
}

function Notice({ icon: Icon, children }: { icon: typeof Info; children: React.ReactNode }) {
  return (
    <div role="note" className="flex gap-2.5 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
      <Icon className="mt-0.5 size-4 shrink-0 text-amber-600" aria-hidden />
      <p>{children}</p>
    </div>
  );
}

/** Who decided and when (and why, for a rejection); after approval, links to what was created. */
function Decision({ proposal, now, slug }: { proposal: ProposalView; now: string; slug: string }) {
  if (proposal.status === 'pending') return null;
  const when = proposal.decidedAt ? relativeText(new Date(proposal.decidedAt), new Date(now)) : null;
  const who = proposal.decidedBy?.label.replace(/\s*<.*>$/, '') ?? null;
  if (proposal.status === 'approved') {
    const applied = proposal.credentials.filter((c) => c.credentialId);
    return (
      <section aria-label="Decision" className="rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">
        <p className="flex items-center gap-2 font-semibold">
          <CircleCheck className="size-4 text-emerald-600" aria-hidden />
          Approved{who ? ` by ${who}` : ''}{when ? ` ${when}` : ''}
        </p>
        <ul className="mt-2 flex flex-wrap gap-2">
          {applied.map((c) =>
            c.kind === 'delete' ? (
              <li key={c.position} className="rounded-md bg-white px-2 py-1 font-mono text-xs text-slate-600 line-through ring-1 ring-emerald-200">
                {c.name}
              </li>
            ) : (
              <li key={c.position}>
                <Link
                  to={`/orgs/${slug}/credentials/${c.credentialId}`}
                  className="inline-flex items-center gap-1 rounded-md bg-white px-2 py-1 font-mono text-xs font-medium text-emerald-800 ring-1 ring-emerald-200 hover:bg-emerald-100"
                >
                  {c.name}
                  <ExternalLink className="size-3" aria-hidden />
                </Link>
              </li>
            ),
          )}
        </ul>
      </section>
    );
  }
  const rejected = proposal.status === 'rejected';
  return (
    <section
      aria-label="Decision"
      className={cn('rounded-lg border px-4 py-3 text-sm', rejected ? 'border-red-200 bg-red-50 text-red-900' : 'border-slate-200 bg-slate-50 text-slate-700')}
    >
      <p className="flex items-center gap-2 font-semibold">
        {rejected ? <XCircle className="size-4 text-red-600" aria-hidden /> : <Clock className="size-4 text-slate-500" aria-hidden />}
        {rejected ? `Rejected${who ? ` by ${who}` : ''}` : 'Expired without a decision'}
        {when ? ` ${when}` : ''}
      </p>
      {rejected && proposal.reason ? <p className="mt-1 whitespace-pre-wrap [overflow-wrap:anywhere]">“{proposal.reason}”</p> : null}
    </section>
  );
}

function RejectForm({ result, busy, onCancel }: { result: { message: string; fieldErrors: Record<string, string[]> } | null; busy: boolean; onCancel: () => void }) {
  const errors = result ? (result.fieldErrors.reason ?? [result.message]) : null;
  return (
    <Card id="reject-panel" className="border-red-200 p-5">
      <Form method="post" className="space-y-3" aria-label="Reject proposal">
        <div>
          <Label htmlFor="reject-reason">Why reject it?</Label>
          <p id="reject-reason-hint" className="mt-0.5 text-xs text-slate-500">
            The agent reads this, so say what it should do instead.
          </p>
          <Textarea
            id="reject-reason"
            name="reason"
            rows={3}
            className="mt-1.5"
            autoFocus
            aria-invalid={errors ? true : undefined}
            aria-describedby={['reject-reason-hint', errors ? 'reject-reason-error' : null].filter(Boolean).join(' ')}
          />
          <ErrorList id="reject-reason-error" errors={errors} />
        </div>
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button type="button" variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" name="intent" value="reject" variant="danger" disabled={busy}>
            {busy ? 'Rejecting…' : 'Reject proposal'}
          </Button>
        </div>
      </Form>
    </Card>
  );
}
