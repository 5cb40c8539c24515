// Connect / Reconnect / Disconnect buttons for an OAuth credential, as plain POST forms (they work without JavaScript).
// With JavaScript, Disconnect first asks in a dialog that says which agents lose access.
import * as Dialog from '@radix-ui/react-dialog';
import { Form, useNavigation, useParams } from '@remix-run/react';
import { Link2, RefreshCw, Unplug } from 'lucide-react';
import { useState } from 'react';
import { AgentImpact, type DependentAgent } from '~/components/credentials/agent-impact';
import { Button } from '~/components/ui/button';
import { ConfirmDialogContent } from '~/components/ui/confirm-dialog';

export interface OAuthActionsProps {
  credential: { id: string; type: string; status: string; oauthAccount: string | null };
  canManage: boolean;
  /** Agents whose allowlist names the credential: the Disconnect confirmation lists them. */
  agents?: readonly DependentAgent[];
}

export function OAuthActions({ credential, canManage, agents = [] }: OAuthActionsProps) {
  const { orgSlug } = useParams();
  const navigation = useNavigation();
  const [confirming, setConfirming] = useState(false);
  if (credential.type !== 'oauth' || !canManage || !orgSlug) return null;
  const base = `/orgs/${orgSlug}/credentials/${credential.id}`;
  const busy = navigation.state !== 'idle' && navigation.formAction?.startsWith(base);
  const disconnected = credential.status === 'disconnected';
  const connectLabel = disconnected || !credential.oauthAccount ? 'Connect' : 'Reconnect';
  const disconnectAction = `${base}/disconnect`;
  return (
    <>
      <Form method="post" action={`${base}/connect`} reloadDocument>
        <Button type="submit" variant={disconnected || credential.status === 'needs_attention' ? 'primary' : 'secondary'} disabled={busy}>
          {connectLabel === 'Connect' ? <Link2 className="size-4" aria-hidden /> : <RefreshCw className="size-4" aria-hidden />}
          {connectLabel}
        </Button>
      </Form>
      {disconnected ? null : (
        <Dialog.Root open={confirming} onOpenChange={setConfirming}>
          <Form
            method="post"
            action={disconnectAction}
            onSubmit={(event) => {
              event.preventDefault();
              setConfirming(true);
            }}
          >
            <Button type="submit" variant="secondary" disabled={busy} aria-haspopup="dialog">
              <Unplug className="size-4" aria-hidden />
              Disconnect
            </Button>
          </Form>
          <ConfirmDialogContent
            icon={Unplug}
            tone="amber"
            title="Disconnect this credential?"
            description={
              <div className="space-y-3">
                <p className="text-sm text-slate-600">
                  The tokens are revoked at the provider and deleted. Agents lose access until someone connects again; the
                  credential, its name and its history stay.
                </p>
                <AgentImpact agents={agents} />
              </div>
            }
          >
            <Form
              method="post"
              action={disconnectAction}
              className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end"
              onSubmit={() => setConfirming(false)}
            >
              <Dialog.Close asChild>
                <Button type="button" variant="secondary">
                  Cancel
                </Button>
              </Dialog.Close>
              <Button type="submit" className="bg-red-600 hover:bg-red-500 focus-visible:outline-red-600">
                <Unplug className="size-4" aria-hidden />
                Disconnect
              </Button>
            </Form>
          </ConfirmDialogContent>
        </Dialog.Root>
      )}
    </>
  );
}
