// A date shown relative to now ("3 min ago", "in 12 days"); the exact time shows on hover and focus.
import { formatDistanceStrict } from 'date-fns';
import { Tooltip } from './tooltip';

/** "3 minutes ago" → "3 min ago": the table's compact wording. */
function compact(text: string): string {
  return text
    .replace(/\bseconds?\b/, 'sec')
    .replace(/\bminutes?\b/, 'min')
    .replace(/\bhours?\b/, 'h')
    .replace(/^(\d+) h\b/, '$1h')
    .replace(/ h ago$/, 'h ago');
}

/** The relative wording of `date` seen from `now` (the loader's clock, so server and browser render the same text). */
export function relativeText(date: Date, now: Date): string {
  const diff = date.getTime() - now.getTime();
  if (Math.abs(diff) < 45_000) return 'just now';
  const distance = compact(formatDistanceStrict(date, now, { roundingMethod: 'floor' }));
  return diff < 0 ? `${distance} ago` : `in ${distance}`;
}

/** The exact instant in UTC: the same text on the server and in any browser's time zone. */
export function exactText(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

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
