// /api/v1/proposals: agents propose the credentials they lack and wait for a decision; people's tools list, approve and reject (app/proposals/).
import { z } from 'zod';
import { MAX_PROPOSAL_WAIT_SECONDS, PROPOSAL_STATUSES } from '~/proposals/proposals';
import { approveProposal, createProposal, getProposal, listProposals, rejectProposal, waitForProposal } from '~/proposals/proposals.server';
import { defineEndpoint, type Endpoint, type EndpointContext } from './endpoint.server';
import { decodeCursor, encodeCursor, limitSchema } from './pagination';
import { credentialActorOf, organizationOf, requireAgent, requireManagement } from './principal.server';
import { proposalApproveBodySchema, proposalBodySchema, proposalListSchema, proposalRejectBodySchema, proposalSchema } from './schemas';
import { parseQuery } from './query.server';
import { prisma } from '~/db.server';

const listQuery = z.object({
  status: z.enum(PROPOSAL_STATUSES, { error: `Use one of ${PROPOSAL_STATUSES.join(', ')}` }).optional(),
  agent: z.string().max(100).optional().meta({ description: 'An agent’s name' }),
  limit: limitSchema,
  cursor: z.string().optional(),
});

const waitQuery = z.object({
  wait: z.coerce
    .number({ error: 'Give wait in seconds' })
    .min(0, 'Give wait in seconds, 0 or more')
    .max(MAX_PROPOSAL_WAIT_SECONDS, `Wait at most ${MAX_PROPOSAL_WAIT_SECONDS} seconds`)
    .optional()
    .meta({ description: `Long-poll: answer as soon as the status changes, or after this many seconds (at most ${MAX_PROPOSAL_WAIT_SECONDS})` }),
});

const idParam = (ctx: EndpointContext) => ctx.params.id ?? '';

/** Who may read a proposal: the agent that made it, or anyone in its organization through a management token. */
function readScope(ctx: EndpointContext): { organizationId: string; agentId?: string } {
  if (ctx.principal.kind === 'agent') return { organizationId: ctx.principal.agent.organizationId, agentId: ctx.principal.agent.id };
  requireManagement(ctx.principal, 'organization.view');
  return { organizationId: organizationOf(ctx.principal) };
}

function body(ctx: EndpointContext): Record<string, unknown> {
  return ctx.body && typeof ctx.body === 'object' && !Array.isArray(ctx.body) ? (ctx.body as Record<string, unknown>) : {};
}

export const proposalEndpoints: Endpoint[] = [
  defineEndpoint({
    method: 'post',
    path: '/proposals',
    operationId: 'createProposal',
    summary: 'Ask a person for credentials: slots they fill, values the agent generated (sealed at once), OAuth connections, deletes',
    description:
      'At most 20 pending proposals per agent and 50 credentials per proposal. `delete` may name only credentials in the agent’s allowlist. Approval creates every slot and adds the names to the agent’s allowlist in one transaction.',
    auth: 'agent',
    body: proposalBodySchema,
    responses: { 201: { description: 'Pending; show the approval URL to a person', schema: proposalSchema } },
    errors: { 403: 'A delete names a credential outside the agent’s allowlist', 409: 'The agent has 20 pending proposals' },
    handler: async (ctx) => {
      const agent = requireAgent(ctx.principal);
      const context = { actor: { type: 'agent' as const, id: agent.id, label: agent.name }, ...ctx.origin };
      const view = await createProposal(agent, ctx.body, { publicUrl: ctx.publicUrl, context });
      return { status: 201, body: view, headers: { Location: `/api/v1/proposals/${view.id}` } };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/proposals',
    operationId: 'listProposals',
    summary: 'The organization’s proposals, newest first',
    auth: 'management',
    query: listQuery,
    responses: { 200: { description: 'A page of proposals', schema: proposalListSchema } },
    errors: {},
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'organization.view');
      const q = parseQuery(listQuery, ctx.query);
      const fingerprint = `proposals:${q.status ?? ''}:${q.agent ?? ''}`;
      const offset = q.cursor ? decodeCursor(q.cursor, fingerprint) : 0;
      let agentId: string | undefined;
      if (q.agent) {
        const agent = await prisma.agent.findFirst({ where: { organizationId: token.organizationId, name: q.agent }, select: { id: true } });
        if (!agent) return { status: 200, body: { proposals: [], nextCursor: null } };
        agentId = agent.id;
      }
      const page = await listProposals(token.organizationId, { status: q.status, agentId, offset, limit: q.limit }, { publicUrl: ctx.publicUrl });
      return { status: 200, body: { proposals: page.proposals, nextCursor: page.more ? encodeCursor(offset + q.limit, fingerprint) : null } };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/proposals/:id',
    operationId: 'getProposal',
    summary: 'A proposal’s status (pending, approved, rejected, expired, with who and when); ?wait=30 long-polls for a change',
    auth: 'any',
    query: waitQuery,
    responses: { 200: { description: 'The proposal', schema: proposalSchema } },
    errors: { 404: 'No such proposal (or another agent’s)' },
    handler: async (ctx) => {
      const scope = readScope(ctx);
      const { wait } = parseQuery(waitQuery, ctx.query);
      if (!wait) return { status: 200, body: await getProposal(scope, idParam(ctx), { publicUrl: ctx.publicUrl }) };
      const aborted = new AbortController();
      const stop = () => aborted.abort();
      ctx.res.on('close', stop);
      try {
        return { status: 200, body: await waitForProposal(scope, idParam(ctx), wait, { publicUrl: ctx.publicUrl, signal: aborted.signal }) };
      } finally {
        ctx.res.off('close', stop);
      }
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/proposals/:id/approve',
    operationId: 'approveProposal',
    summary: 'Approve: every slot is checked, then all are applied and granted to the agent in one transaction (or none, with each slot’s errors)',
    description: 'Members may approve proposals that only add credentials; deletes and agent-supplied values need an admin.',
    auth: 'management',
    body: proposalApproveBodySchema,
    responses: { 200: { description: 'Approved', schema: proposalSchema } },
    errors: { 403: 'The token’s role may not approve this proposal', 404: 'No such proposal', 409: 'No longer pending, or being approved right now' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'proposal.review');
      const view = await approveProposal(credentialActorOf(token, ctx.origin), idParam(ctx), { values: body(ctx).values ?? {} }, { publicUrl: ctx.publicUrl });
      return { status: 200, body: view };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/proposals/:id/reject',
    operationId: 'rejectProposal',
    summary: 'Reject with a reason the agent reads',
    auth: 'management',
    body: proposalRejectBodySchema,
    responses: { 200: { description: 'Rejected', schema: proposalSchema } },
    errors: { 403: 'The token’s role may not review proposals', 404: 'No such proposal', 409: 'No longer pending' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'proposal.review');
      const view = await rejectProposal(credentialActorOf(token, ctx.origin), idParam(ctx), body(ctx), { publicUrl: ctx.publicUrl });
      return { status: 200, body: view };
    },
  }),
];
