// Connect / Reconnect / Disconnect buttons for an OAuth credential, as plain POST forms (they work without JavaScript).
// With JavaScript, Disconnect first asks in a dialog that says which agents lose access.
import * as Dialog from '@radix-ui/react-dialog';
import { Form, useNavigation, useParams } from '@remix-run/react';
import { Link2, RefreshCw, Unplug, X } from 'lucide-react';
import { useState } from 'react';
import { AgentImpact, type DependentAgent } from '~/components/credentials/agent-impact';
import { Button } from '~/components/ui/button';

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
          <Dialog.Portal>
            <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
            <Dialog.Content className="fixed top-1/2 left-1/2 z-50 max-h-[calc(100dvh-2rem)] w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg border border-slate-200 bg-white p-6 shadow-xl focus:outline-none">
              <div className="flex items-start gap-4">
                <div className="flex size-10 shrink-0 items-center justify-center rounded-full bg-amber-50 text-amber-600">
                  <Unplug className="size-5" aria-hidden />
                </div>
                <div className="min-w-0 flex-1">
                  <Dialog.Title className="text-base font-semibold text-slate-900">Disconnect this credential?</Dialog.Title>
                  <Dialog.Description asChild>
                    <div className="mt-2 space-y-3">
                      <p className="text-sm text-slate-600">
                        The tokens are revoked at the provider and deleted. Agents lose access until someone connects again; the
                        credential, its name and its history stay.
                      </p>
                      <AgentImpact agents={agents} />
                    </div>
                  </Dialog.Description>
                </div>
                <Dialog.Close asChild>
                  <button
                    type="button"
                    className="-mt-1 -mr-2 rounded-md p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600 focus-visible:outline-2 focus-visible:outline-indigo-600"
                    aria-label="Close"
                  >
                    <X className="size-4" aria-hidden />
                  </button>
                </Dialog.Close>
              </div>
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
            </Dialog.Content>
          </Dialog.Portal>
        </Dialog.Root>
      )}
    </>
  );
}
