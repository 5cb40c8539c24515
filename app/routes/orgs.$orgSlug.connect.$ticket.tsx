// Connect from a terminal: a member opens the link `POST /api/v1/credentials/oauth/connect` gave, checks what will be connected, and continues to the provider.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useNavigation } from '@remix-run/react';
import { TerminalSquare } from 'lucide-react';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Button } from '~/components/ui/button';
import { Card } from '~/components/ui/card';
import { credentialActor } from '~/credentials/actor.server';
import { getService } from '~/credentials/catalog';
import { startConnect } from '~/oauth/flow.server';
import { OAuthError } from '~/oauth/errors';
import { readConnectTicket } from '~/oauth/terminal-connect.server';
import { requireMembership } from '~/orgs/membership.server';
import { explainedError, readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Connect from the terminal · Latchkey' }];

async function ticketFor(request: Request, params: LoaderFunctionArgs['params']) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.create');
  const ticket = readConnectTicket(params.ticket ?? '', ctx.organization.id);
  if (!ticket) {
    throw explainedError(400, {
      title: 'This connect link no longer works',
      description: 'Links to connect from the terminal last 15 minutes and work only in the organization they were made for. Run the command again for a new link.',
      action: { href: `/orgs/${ctx.organization.slug}/credentials`, label: 'Go to credentials' },
    });
  }
  return { ctx, ticket };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { ctx, ticket } = await ticketFor(request, params);
  return {
    slug: ctx.organization.slug,
    organizationName: ctx.organization.name,
    service: ticket.service,
    serviceName: getService(ticket.service)?.displayName ?? ticket.service,
    name: ticket.name,
    scopes: ticket.scopes ?? null,
    requestedBy: ticket.by,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx, ticket } = await ticketFor(request, params);
  await readFormData(request);
  try {
    const { authorizationUrl } = await startConnect(credentialActor(ctx, request, context), ctx.session.id, {
      service: ticket.service,
      name: ticket.name,
      description: ticket.description,
      scopes: ticket.scopes,
      appId: ticket.appId,
    });
    return redirect(authorizationUrl);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    throw explainedError(error.status, {
      title: 'Could not start connecting',
      description: Object.values(error.fieldErrors ?? {}).flat()[0] ?? error.message,
      action: { href: `/orgs/${ctx.organization.slug}/credentials`, label: 'Go to credentials' },
    });
  }
}

export default function TerminalConnectPage() {
  const data = useLoaderData<typeof loader>();
  const busy = useNavigation().state !== 'idle';
  return (
    <div className="mx-auto max-w-lg py-10">
      <Card className="space-y-5 p-6">
        <div className="flex items-center gap-3">
          <ServiceLogo service={data.service} size={40} />
          <div>
            <h1 className="text-lg font-semibold text-slate-900">Connect {data.serviceName}</h1>
            <p className="text-sm text-slate-600">
              as <span className="font-mono text-slate-900">{data.name}</span> in {data.organizationName}
            </p>
          </div>
        </div>
        <p className="flex items-start gap-2 rounded-md bg-slate-50 p-3 text-sm text-slate-700">
          <TerminalSquare className="mt-0.5 size-4 shrink-0 text-slate-500" aria-hidden />
          <span>
            Requested from the terminal by {data.requestedBy}. Continue only if you started this: {data.serviceName} will ask you to sign in and approve
            {data.scopes ? ` ${data.scopes.join(', ')}` : ' the default scopes'}.
          </span>
        </p>
        <Form method="post" className="flex justify-end gap-2">
          <Button asChild variant="secondary">
            <a href={`/orgs/${data.slug}/credentials`}>Cancel</a>
          </Button>
          <Button type="submit" disabled={busy}>
            Continue to {data.serviceName}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
