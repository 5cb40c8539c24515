// The one wording of "last used": "Never used" or "Used 7 minutes ago", with the exact time on hover and focus (ADR 005).
import { exactText } from '~/components/credentials/relative-time';
import { Tooltip } from '~/components/credentials/tooltip';
import { cn } from '~/utils/misc';
import { lastUsedText } from './last-used-text';

export { lastUsedText, NEVER_USED } from './last-used-text';

/**
 * Last use of a credential, an agent, or an agent's use of one credential. Which column each reads
 * is fixed in ADR 005 (Credential.lastUsedAt, Agent.lastUsedAt, AgentCredentialUsage.lastUsedAt).
 */
export function LastUsed({ at, now, className }: { at: Date | string | null | undefined; now: Date | string; className?: string }) {
  const text = lastUsedText(at, now);
  if (!at) return <span data-testid="last-used" className={cn('text-slate-500', className)}>{text}</span>;
  const date = new Date(at);
  const exact = exactText(date);
  return (
    <Tooltip content={exact}>
      <time
        dateTime={date.toISOString()}
        tabIndex={0}
        data-testid="last-used"
        className={cn(
          'rounded-sm whitespace-nowrap underline decoration-slate-300 decoration-dotted underline-offset-4 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
          className,
        )}
      >
        {text}
        <span className="sr-only"> ({exact})</span>
      </time>
    </Tooltip>
  );
}
