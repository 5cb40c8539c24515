// The delete confirmation: a dialog that names the credential and asks for its name before posting to the delete action.
import * as Dialog from '@radix-ui/react-dialog';
import { Form, useNavigation } from '@remix-run/react';
import { Trash2, X } from 'lucide-react';
import { useId, useState } from 'react';
import { Button } from '~/components/ui/button';

export function DeleteCredentialDialog({ name, action }: { name: string; action: string }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const navigation = useNavigation();
  const inputId = useId();
  const submitting = navigation.state === 'submitting' && navigation.formAction === action;
  const matches = typed === name;

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setTyped('');
      }}
    >
      <Dialog.Trigger asChild>
        <Button variant="danger">
          <Trash2 className="size-4" aria-hidden />
          Delete
        </Button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
        <Dialog.Content className="fixed top-1/2 left-1/2 z-50 w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 rounded-lg border border-slate-200 bg-white p-6 shadow-xl focus:outline-none">
          <div className="flex items-start gap-4">
            <div className="flex size-10 shrink-0 items-center justify-center rounded-full bg-red-50 text-red-600">
              <Trash2 className="size-5" aria-hidden />
            </div>
            <div className="min-w-0 flex-1">
              <Dialog.Title className="text-base font-semibold text-slate-900">
                Delete <span className="break-all">“{name}”</span>?
              </Dialog.Title>
              <Dialog.Description className="mt-1 text-sm text-slate-500">
                Its encrypted value is destroyed and agents using it stop working at once. The audit log keeps its history.
                This cannot be undone.
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
          <Form method="post" action={action} className="mt-5 space-y-4">
            <div>
              <label htmlFor={inputId} className="block text-sm font-medium text-slate-700">
                Type <span className="font-mono break-all text-slate-900">{name}</span> to confirm
              </label>
              <input
                id={inputId}
                name="confirmName"
                autoComplete="off"
                spellCheck={false}
                value={typed}
                onChange={(event) => setTyped(event.currentTarget.value)}
                className="mt-1.5 block h-9 w-full rounded-lg border-0 px-3 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-red-600 focus:outline-none"
              />
            </div>
            <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
              <Dialog.Close asChild>
                <Button type="button" variant="secondary">
                  Cancel
                </Button>
              </Dialog.Close>
              <Button type="submit" className="bg-red-600 hover:bg-red-500 focus-visible:outline-red-600" disabled={!matches || submitting}>
                {submitting ? 'Deleting…' : 'Delete credential'}
              </Button>
            </div>
          </Form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
