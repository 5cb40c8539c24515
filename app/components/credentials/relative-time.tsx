// A date shown relative to now ("3 min ago", "in 12 days"); the exact time shows on hover and focus.
import { exactText, relativeText } from '~/utils/relative-time';
import { Tooltip } from './tooltip';

export { exactText, relativeText };

export function RelativeTime({
  date,
  now,
  empty = 'Never',
  className,
}: {
  date: Date | string | null | undefined;
  now: Date | string;
  /** What to show when there is no date ("Never", "No expiry"). */
  empty?: string;
  className?: string;
}) {
  if (!date) return <span className={className ?? 'text-slate-500'}>{empty}</span>;
  const d = new Date(date);
  const exact = exactText(d);
  return (
    <Tooltip content={exact}>
      <time
        dateTime={d.toISOString()}
        tabIndex={0}
        className={
          className ??
          'rounded-sm whitespace-nowrap underline decoration-slate-300 decoration-dotted underline-offset-4 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600'
        }
      >
        {relativeText(d, new Date(now))}
        <span className="sr-only"> ({exact})</span>
      </time>
    </Tooltip>
  );
}
