// The body of a confirmation dialog (Radix): overlay, a centred panel with a toned icon, title, description and a close button; the actions go below.
import * as Dialog from '@radix-ui/react-dialog';
import { X, type LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';
import { Button } from '~/components/ui/button';
import { cn } from '~/utils/misc';

const TONES = { red: 'bg-red-50 text-red-600', amber: 'bg-amber-50 text-amber-600' } as const;

export function ConfirmDialogContent({
  icon: Icon,
  tone,
  title,
  description,
  children,
}: {
  icon: LucideIcon;
  tone: keyof typeof TONES;
  title: ReactNode;
  description: ReactNode;
  /** The actions (forms and buttons), below the text. */
  children: ReactNode;
}) {
  return (
    <Dialog.Portal>
      <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
      <Dialog.Content className="fixed top-1/2 left-1/2 z-50 max-h-[calc(100dvh-2rem)] w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg border border-slate-200 bg-white p-6 shadow-xl focus:outline-none">
        <div className="flex items-start gap-4">
          <div className={cn('flex size-10 shrink-0 items-center justify-center rounded-full', TONES[tone])}>
            <Icon className="size-5" aria-hidden />
          </div>
          <div className="min-w-0 flex-1">
            <Dialog.Title className="text-base font-semibold text-slate-900">{title}</Dialog.Title>
            <Dialog.Description asChild>
              <div className="mt-2">{description}</div>
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
        {children}
      </Dialog.Content>
    </Dialog.Portal>
  );
}

/** The dialog's action row: Cancel (closes the dialog) and the confirming button(s) given as children. */
export function ConfirmDialogActions({ children }: { children: ReactNode }) {
  return (
    <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
      <Dialog.Close asChild>
        <Button type="button" variant="secondary">
          Cancel
        </Button>
      </Dialog.Close>
      {children}
    </div>
  );
}
