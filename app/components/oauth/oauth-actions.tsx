// Connect / Reconnect / Disconnect buttons for an OAuth credential, as plain POST forms (they work without JavaScript).
// With JavaScript, Reconnect asks which app when there are several, and Disconnect asks first: what happens at the
// provider, which agents lose access, and whether to keep a grant other credentials share.
import * as Dialog from '@radix-ui/react-dialog';
import { Form, useNavigation, useParams } from '@remix-run/react';
import { Link2, RefreshCw, Unplug } from 'lucide-react';
import { useState } from 'react';
import { AgentImpact, type DependentAgent } from '~/components/credentials/agent-impact';
import { Button } from '~/components/ui/button';
import { ConfirmDialogActions, ConfirmDialogContent } from '~/components/ui/confirm-dialog';
import { AppPicker, type AppChoice } from './app-picker';
import { agentsLosingAccessWith, RevocationSummary, SharedGrantChoice, type RevocationPlanView } from './revocation-notice';

export interface OAuthActionsProps {
  credential: { id: string; type: string; status: string };
  canManage: boolean;
  /** Agents whose allowlist names the credential: the Disconnect confirmation lists them. */
  agents?: readonly DependentAgent[];
  /** What Disconnect does at the provider (null: nothing to revoke). */
  plan?: RevocationPlanView | null;
  /** The apps Reconnect can use, and the one the tokens came from. */
  apps?: readonly AppChoice[];
  currentAppId?: string | null;
}

export function OAuthActions({ credential, canManage, agents = [], plan = null, apps = [], currentAppId = null }: OAuthActionsProps) {
  const { orgSlug } = useParams();
  const navigation = useNavigation();
  const [confirming, setConfirming] = useState(false);
  const [choosing, setChoosing] = useState(false);
  const [revoke, setRevoke] = useState(false);
  if (credential.type !== 'oauth' || !canManage || !orgSlug) return null;
  const base = `/orgs/${orgSlug}/credentials/${credential.id}`;
  const busy = navigation.state !== 'idle' && navigation.formAction?.startsWith(base);
  const disconnected = credential.status === 'disconnected';
  const connectLabel = disconnected ? 'Connect' : 'Reconnect';
  const ConnectIcon = disconnected ? Link2 : RefreshCw;
  const connectAction = `${base}/connect`;
  const disconnectAction = `${base}/disconnect`;
  // Several apps: the person picks one (the tokens' own app is checked); one or none: the button goes straight on.
  const pick = apps.length > 1;
  return (
    <>
      <Dialog.Root open={choosing} onOpenChange={setChoosing}>
        <Form
          method="post"
          action={connectAction}
          reloadDocument
          onSubmit={(event) => {
            if (!pick) return;
            event.preventDefault();
            setChoosing(true);
          }}
        >
          <Button
            type="submit"
            variant={disconnected || credential.status === 'needs_attention' ? 'primary' : 'secondary'}
            disabled={busy}
            aria-haspopup={pick ? 'dialog' : undefined}
          >
            <ConnectIcon className="size-4" aria-hidden />
            {connectLabel}
          </Button>
        </Form>
        {pick ? (
          <ConfirmDialogContent
            icon={ConnectIcon}
            tone="amber"
            title={`${connectLabel} with which app?`}
            description={<p className="text-sm text-slate-600">You sign in at the provider of the app you choose; the new tokens replace the stored ones.</p>}
          >
            <Form method="post" action={connectAction} reloadDocument className="mt-4 space-y-5">
              <AppPicker apps={apps} selected={currentAppId} />
              <ConfirmDialogActions>
                <Button type="submit">
                  <ConnectIcon className="size-4" aria-hidden />
                  {connectLabel}
                </Button>
              </ConfirmDialogActions>
            </Form>
          </ConfirmDialogContent>
        ) : null}
      </Dialog.Root>
      {disconnected ? null : (
        <Dialog.Root
          open={confirming}
          onOpenChange={(next) => {
            setConfirming(next);
            if (!next) setRevoke(false);
          }}
        >
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
                <RevocationSummary plan={plan} verb="disconnect" />
                <p className="text-sm text-slate-600">
                  Agents lose access until someone connects again; the credential, its name and its history stay.
                </p>
                <AgentImpact agents={agentsLosingAccessWith(agents, plan, revoke)} />
              </div>
            }
          >
            <Form
              method="post"
              action={disconnectAction}
              className="mt-5 space-y-5"
              onSubmit={() => setConfirming(false)}
            >
              <SharedGrantChoice plan={plan} revoke={revoke} onChange={setRevoke} />
              <ConfirmDialogActions>
                <Button type="submit" className="bg-red-600 hover:bg-red-500 focus-visible:outline-red-600">
                  <Unplug className="size-4" aria-hidden />
                  Disconnect
                </Button>
              </ConfirmDialogActions>
            </Form>
          </ConfirmDialogContent>
        </Dialog.Root>
      )}
    </>
  );
}
