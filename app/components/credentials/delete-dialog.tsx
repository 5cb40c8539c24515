// The delete confirmation: a dialog that names the credential, says which agents lose access, what happens at an OAuth provider (and to credentials sharing its grant) and asks for its name.
// Without JavaScript the Delete button opens the delete route's own confirmation page instead (a GET form).
import * as Dialog from '@radix-ui/react-dialog';
import { Form, useNavigation } from '@remix-run/react';
import { Trash2 } from 'lucide-react';
import { useId, useState } from 'react';
import { agentsLosingAccessWith, RevocationSummary, SharedGrantChoice, type RevocationPlanView } from '~/components/oauth/revocation-notice';
import { Button } from '~/components/ui/button';
import { ConfirmDialogContent } from '~/components/ui/confirm-dialog';
import { AgentImpact, type DependentAgent } from './agent-impact';

export interface DeleteCredentialProps {
  name: string;
  /** The delete route: GET shows the confirmation page, POST deletes. */
  action: string;
  agents: readonly DependentAgent[];
  /** For an OAuth credential holding tokens: what happens at its provider (revoked, or not and why), and who shares its grant. */
  revocation?: RevocationPlanView | null;
}

/** What deleting does, in the dialog and on the no-JavaScript page alike; `revoke` is the shared-grant choice. */
export function DeleteConsequences({ agents, revocation, revoke = false }: Pick<DeleteCredentialProps, 'agents' | 'revocation'> & { revoke?: boolean }) {
  return (
    <div className="space-y-3">
      <RevocationSummary plan={revocation} verb="delete" />
      <p className="text-sm text-slate-600">
        Its encrypted value is destroyed and agents using it stop working at once. The audit log keeps its history. This cannot be undone.
      </p>
      <AgentImpact agents={agentsLosingAccessWith(agents, revocation, revoke)} />
    </div>
  );
}

/** The typed-name field and the buttons; `onCancel` closes the dialog, `cancelHref` leaves the page. */
export function DeleteConfirmForm({
  name,
  action,
  typed,
  onTyped,
  cancel,
  hidden,
  children,
}: {
  name: string;
  action: string;
  typed?: string;
  onTyped?: (value: string) => void;
  cancel: React.ReactNode;
  hidden?: Record<string, string>;
  /** More fields of the same form, above the typed name (the shared-grant choice). */
  children?: React.ReactNode;
}) {
  const navigation = useNavigation();
  const inputId = useId();
  const submitting = navigation.state === 'submitting' && navigation.formAction === action;
  const controlled = typed !== undefined;
  return (
    <Form method="post" action={action} className="space-y-4">
      {Object.entries(hidden ?? {}).map(([key, value]) => (
        <input key={key} type="hidden" name={key} value={value} />
      ))}
      {children}
      <div>
        <label htmlFor={inputId} className="block text-sm font-medium text-slate-700">
          Type <span className="font-mono break-all text-slate-900">{name}</span> to confirm
        </label>
        <input
          id={inputId}
          name="confirmName"
          autoComplete="off"
          spellCheck={false}
          required
          {...(controlled ? { value: typed, onChange: (event: React.ChangeEvent<HTMLInputElement>) => onTyped?.(event.currentTarget.value) } : {})}
          className="mt-1.5 block h-9 w-full rounded-lg border-0 px-3 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-red-600 focus:outline-none"
        />
      </div>
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        {cancel}
        <Button
          type="submit"
          className="bg-red-600 hover:bg-red-500 focus-visible:outline-red-600"
          disabled={(controlled && typed.trim() !== name) || submitting}
        >
          <Trash2 className="size-4" aria-hidden />
          {submitting ? 'Deleting…' : 'Delete credential'}
        </Button>
      </div>
    </Form>
  );
}

export function DeleteCredentialDialog({ name, action, agents, revocation }: DeleteCredentialProps) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [revoke, setRevoke] = useState(false);

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) {
          setTyped('');
          setRevoke(false);
        }
      }}
    >
      {/* A GET form: without JavaScript it opens the confirmation page; with it, the dialog. */}
      <form
        method="get"
        action={action}
        onSubmit={(event) => {
          event.preventDefault();
          setOpen(true);
        }}
      >
        <Button type="submit" variant="danger" aria-haspopup="dialog">
          <Trash2 className="size-4" aria-hidden />
          Delete
        </Button>
      </form>
      <ConfirmDialogContent
        icon={Trash2}
        tone="red"
        title={
          <>
            Delete <span className="break-all">“{name}”</span>?
          </>
        }
        description={<DeleteConsequences agents={agents} revocation={revocation} revoke={revoke} />}
      >
        <div className="mt-5">
          <DeleteConfirmForm
            name={name}
            action={action}
            typed={typed}
            onTyped={setTyped}
            cancel={
              <Dialog.Close asChild>
                <Button type="button" variant="secondary">
                  Cancel
                </Button>
              </Dialog.Close>
            }
          >
            <SharedGrantChoice plan={revocation} revoke={revoke} onChange={setRevoke} />
          </DeleteConfirmForm>
        </div>
      </ConfirmDialogContent>
    </Dialog.Root>
  );
}
