// The new agent token, shown once with a copy button (it is never stored in clear nor loaded again).
import { KeyRound } from 'lucide-react';
import { CopyButton } from '~/components/copy-button';
import { Card } from '~/components/ui/card';

export function TokenOnce({ token, title }: { token: string; title: string }) {
  return (
    <Card className="border-emerald-200 bg-emerald-50/60 p-4" role="status">
      <div className="flex items-start gap-3">
        <KeyRound className="mt-0.5 size-5 shrink-0 text-emerald-700" aria-hidden />
        <div className="min-w-0 flex-1">
          <p className="text-sm font-semibold text-slate-900">{title}</p>
          <p className="mt-1 text-sm text-slate-600">Copy it now: Latchkey stores only a hash and cannot show it again.</p>
          <div className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
            <code className="min-w-0 flex-1 truncate rounded-md bg-white px-3 py-2 font-mono text-xs text-slate-800 ring-1 ring-slate-200">{token}</code>
            <CopyButton value={token} label="Copy token" />
          </div>
        </div>
      </div>
    </Card>
  );
}
