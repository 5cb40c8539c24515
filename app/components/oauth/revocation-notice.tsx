// What Disconnect and Delete do at the provider, in the dialogs' words: revoked there, or honestly not (and where to finish), and the choice to keep a grant other credentials share.
import { Link2, TriangleAlert } from 'lucide-react';
import type { DependentAgent } from '~/components/credentials/agent-impact';
import { cn } from '~/utils/misc';

/** app/oauth/disconnect.server.ts's RevocationPlan, as loader data. */
export interface RevocationPlanView {
  at: string;
  revokes: boolean;
  manual: string | null;
  manualUrl: string | null;
  shared: { id: string; name: string; agents: DependentAgent[] }[];
  sharedLoseAccess: boolean;
}

function names(items: readonly { name: string }[]): string {
  const list = items.map((i) => i.name);
  if (list.length <= 1) return list.join('');
  return `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
}

/** The agents that stop working: this credential's, and the sharing credentials' too when the grant is revoked. */
export function agentsLosingAccessWith(own: readonly DependentAgent[], plan: RevocationPlanView | null | undefined, revoke: boolean): DependentAgent[] {
  const out = new Map(own.map((a) => [a.id, a]));
  if (plan?.sharedLoseAccess && revoke) for (const c of plan.shared) for (const a of c.agents) out.set(a.id, a);
  return [...out.values()];
}

/** One sentence on what happens at the provider (nothing to say for a credential without tokens). */
export function RevocationSummary({ plan, verb }: { plan: RevocationPlanView | null | undefined; verb: 'disconnect' | 'delete' }) {
  if (!plan) return null;
  if (!plan.revokes) {
    return (
      <p className="flex gap-2 rounded-lg bg-slate-50 px-3 py-2.5 text-sm text-slate-700 ring-1 ring-slate-200 ring-inset" data-testid="revocation-summary">
        <TriangleAlert className="mt-0.5 size-4 shrink-0 text-amber-600" aria-hidden />
        <span className="min-w-0 break-words">
          Nothing is revoked at {plan.at}: {verb === 'disconnect' ? 'the tokens are deleted here' : 'they are deleted here'}, and{' '}
          {plan.manual ? `${plan.manual.charAt(0).toLowerCase()}${plan.manual.slice(1)}` : 'the provider keeps the grant'}.
          {plan.manualUrl ? (
            <>
              {' '}
              <a href={plan.manualUrl} target="_blank" rel="noreferrer noopener" className="font-medium text-indigo-600 hover:underline">
                Open it
              </a>
            </>
          ) : null}
        </span>
      </p>
    );
  }
  const shared = plan.shared.length > 0 && !plan.sharedLoseAccess;
  return (
    <p className="text-sm text-slate-600" data-testid="revocation-summary">
      {verb === 'disconnect' ? `The tokens are revoked at ${plan.at} and deleted here.` : `Its tokens are revoked at ${plan.at} first.`}
      {shared ? ` ${names(plan.shared)} ${plan.shared.length === 1 ? 'is' : 'are'} connected with the same account; ${plan.at} revokes only this credential’s token, so ${plan.shared.length === 1 ? 'it keeps' : 'they keep'} working.` : ''}
    </p>
  );
}

/**
 * When revoking would end other credentials (the provider revokes the whole grant): names them with their agents and
 * asks whether to revoke. Submits `revoke=yes|no`; "no" is preselected, so nothing else breaks by default.
 */
export function SharedGrantChoice({
  plan,
  revoke,
  onChange,
}: {
  plan: RevocationPlanView | null | undefined;
  revoke: boolean;
  onChange?: (revoke: boolean) => void;
}) {
  if (!plan?.sharedLoseAccess) return null;
  const count = plan.shared.length;
  const them = count === 1 ? 'it' : 'them';
  const option = (value: boolean, title: string, text: string) => (
    <label
      className={cn(
        'flex cursor-pointer items-start gap-3 rounded-lg border bg-white px-3 py-2.5',
        'has-[:checked]:border-indigo-500 has-[:checked]:ring-1 has-[:checked]:ring-indigo-500 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600',
        'border-slate-200',
      )}
    >
      <input
        type="radio"
        name="revoke"
        value={value ? 'yes' : 'no'}
        {...(onChange ? { checked: revoke === value, onChange: () => onChange(value) } : { defaultChecked: !value })}
        className="mt-0.5 size-4 border-slate-300 text-indigo-600"
      />
      <span className="min-w-0 text-sm">
        <span className="block font-medium text-slate-900">{title}</span>
        <span className="block text-slate-600">{text}</span>
      </span>
    </label>
  );
  return (
    <fieldset className="space-y-2" data-testid="shared-grant">
      <legend className="text-sm text-slate-700">
        <span className="flex gap-2 rounded-lg bg-amber-50 px-3 py-2.5 text-amber-900 ring-1 ring-amber-200 ring-inset">
          <Link2 className="mt-0.5 size-4 shrink-0 text-amber-600" aria-hidden />
          <span className="min-w-0 break-words">
            <span className="font-semibold">Shares its grant at {plan.at} with {count === 1 ? 'another credential' : `${count} other credentials`}</span> (same account and
            app):{' '}
            {plan.shared.map((c, i) => (
              <span key={c.id}>
                {i > 0 ? '; ' : ''}
                <span className="font-mono break-all">{c.name}</span>
                {c.agents.length > 0 ? ` (used by ${names(c.agents)})` : ' (no agent uses it)'}
              </span>
            ))}
            . {plan.at} revokes the whole grant, so revoking here ends {them} too.
          </span>
        </span>
      </legend>
      {option(false, 'Remove without revoking', `The tokens are deleted here only; ${names(plan.shared)} ${count === 1 ? 'keeps' : 'keep'} working. The grant stays at ${plan.at} until you remove it there.`)}
      {option(true, `Revoke at ${plan.at}`, `${names(plan.shared)} ${count === 1 ? 'stops' : 'stop'} working too, until ${count === 1 ? 'it is' : 'they are'} reconnected.`)}
    </fieldset>
  );
}
