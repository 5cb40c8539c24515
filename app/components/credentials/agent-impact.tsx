// "N agents will lose access": the agents whose allowlist names a credential, shown before it is disconnected or deleted.
import { Bot } from 'lucide-react';
import { cn } from '~/utils/misc';

export interface DependentAgent {
  id: string;
  name: string;
}

const NAMES_SHOWN = 5;

export function agentsLosingAccess(count: number): string {
  if (count === 0) return 'No agents will lose access';
  return count === 1 ? '1 agent will lose access' : `${count} agents will lose access`;
}

/** A one-line warning with the agents' names (the first few), amber when any agent is affected. */
export function AgentImpact({ agents, className }: { agents: readonly DependentAgent[]; className?: string }) {
  const shown = agents.slice(0, NAMES_SHOWN);
  const more = agents.length - shown.length;
  const affected = agents.length > 0;
  return (
    <div
      data-testid="agent-impact"
      className={cn(
        'flex items-start gap-2.5 rounded-lg px-3 py-2.5 text-sm ring-1 ring-inset',
        affected ? 'bg-amber-50 text-amber-900 ring-amber-200' : 'bg-slate-50 text-slate-600 ring-slate-200',
        className,
      )}
    >
      <Bot className={cn('mt-0.5 size-4 shrink-0', affected ? 'text-amber-600' : 'text-slate-400')} aria-hidden />
      <p className="min-w-0 break-words">
        <span className="font-semibold">{agentsLosingAccess(agents.length)}</span>
        {affected ? (
          <>
            {': '}
            {shown.map((a) => a.name).join(', ')}
            {more > 0 ? ` and ${more} more` : ''}.
          </>
        ) : (
          '. No agent’s allowlist names this credential.'
        )}
      </p>
    </div>
  );
}
