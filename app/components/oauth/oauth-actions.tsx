// Connect / Reconnect / Disconnect buttons for an OAuth credential, as plain POST forms (they work without JavaScript).
import { Form, useNavigation, useParams } from '@remix-run/react';
import { Link2, RefreshCw, Unplug } from 'lucide-react';
import { Button } from '~/components/ui/button';

export interface OAuthActionsProps {
  credential: { id: string; type: string; status: string; oauthAccount: string | null };
  canManage: boolean;
}

export function OAuthActions({ credential, canManage }: OAuthActionsProps) {
  const { orgSlug } = useParams();
  const navigation = useNavigation();
  if (credential.type !== 'oauth' || !canManage || !orgSlug) return null;
  const base = `/orgs/${orgSlug}/credentials/${credential.id}`;
  const busy = navigation.state !== 'idle' && navigation.formAction?.startsWith(base);
  const disconnected = credential.status === 'disconnected';
  const connectLabel = disconnected || !credential.oauthAccount ? 'Connect' : 'Reconnect';
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Form method="post" action={`${base}/connect`} reloadDocument>
        <Button type="submit" variant={disconnected || credential.status === 'needs_attention' ? 'primary' : 'secondary'} disabled={busy}>
          {connectLabel === 'Connect' ? <Link2 className="size-4" aria-hidden /> : <RefreshCw className="size-4" aria-hidden />}
          {connectLabel}
        </Button>
      </Form>
      {disconnected ? null : (
        <Form
          method="post"
          action={`${base}/disconnect`}
          onSubmit={(event) => {
            if (!window.confirm('Disconnect? The tokens are revoked at the provider and deleted; agents lose access until someone connects again.')) event.preventDefault();
          }}
        >
          <Button type="submit" variant="danger" disabled={busy}>
            <Unplug className="size-4" aria-hidden />
            Disconnect
          </Button>
        </Form>
      )}
    </div>
  );
}
