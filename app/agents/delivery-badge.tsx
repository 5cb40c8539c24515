// The amber marks of delivered grants: "Delivers values" on an agent, "Deliver" on one allowlist entry, and the sentence saying what that means.
import { Eye } from 'lucide-react';
import { Tooltip } from '~/components/credentials/tooltip';
import { cn } from '~/utils/misc';

/** What Deliver means, in the words every mark of it uses. */
export const DELIVER_SENTENCE = 'The agent receives the raw value and can keep or pass it on; Proxy entries are injected by Latchkey and never seen.';

/** The agent-level badge: amber, with the delivered patterns and what delivery means one hover or focus away. */
export function DeliversValuesBadge({ patterns, className }: { patterns: readonly string[]; className?: string }) {
  if (patterns.length === 0) return null;
  return (
    <Tooltip
      content={
        <>
          Delivers the value of {patterns.map((p, i) => (
            <span key={p}>
              {i > 0 ? ', ' : ''}
              <code className="font-mono">{p}</code>
            </span>
          ))}
          . {DELIVER_SENTENCE}
        </>
      }
    >
      <span
        tabIndex={0}
        data-testid="delivers-values"
        className={cn(
          'inline-flex shrink-0 items-center gap-1 rounded-md bg-amber-50 px-2 py-0.5 text-xs font-medium whitespace-nowrap text-amber-800 ring-1 ring-amber-300 ring-inset focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
          className,
        )}
      >
        <Eye className="size-3" aria-hidden />
        Delivers values
        <span className="sr-only">: {patterns.join(', ')}. {DELIVER_SENTENCE}</span>
      </span>
    </Tooltip>
  );
}

/** The per-entry mark, inside an allowlist chip or badge. */
export function DeliverTag({ className }: { className?: string }) {
  return (
    <span
      data-testid="deliver-tag"
      title={DELIVER_SENTENCE}
      className={cn('inline-flex items-center gap-0.5 rounded-sm bg-amber-100 px-1 font-sans text-[11px] font-medium text-amber-900', className)}
    >
      <Eye className="size-3" aria-hidden />
      Deliver
    </span>
  );
}
