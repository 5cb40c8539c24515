// The Latchkey wordmark with its key icon.
import { KeyRound } from 'lucide-react';
import { cn } from '~/utils/misc';

export function Logo({ className }: { className?: string }) {
  return (
    <span className={cn('inline-flex items-center gap-2 font-semibold tracking-tight text-slate-900', className)}>
      <span className="flex size-7 items-center justify-center rounded-lg bg-indigo-600 text-white shadow-sm">
        <KeyRound className="size-4" aria-hidden />
      </span>
      Latchkey
    </span>
  );
}
