// Relative and exact wording of an instant ("in 4 days", "3 min ago", "2026-12-06 14:00:00 UTC"): one formatter for pages, banner and CLI.
import { formatDistanceStrict } from 'date-fns';

/** "3 minutes ago" → "3 min ago": the compact wording of tables and badges. */
function compact(text: string): string {
  return text
    .replace(/\bseconds?\b/, 'sec')
    .replace(/\bminutes?\b/, 'min')
    .replace(/\bhours?\b/, 'h')
    .replace(/^(\d+) h\b/, '$1h')
    .replace(/ h ago$/, 'h ago');
}

/**
 * The relative wording of `date` seen from `now` (pass the loader's clock, so server and browser render the
 * same text). The past within 45 s is "just now"; the future never is: a token that expires in 20 s reads
 * "in 20 sec".
 */
export function relativeText(date: Date, now: Date): string {
  const diff = date.getTime() - now.getTime();
  if (diff <= 0 && diff > -45_000) return 'just now';
  if (diff > 0 && diff < 1_000) return 'in 1 sec';
  const distance = compact(formatDistanceStrict(date, now, { roundingMethod: 'floor' }));
  return diff < 0 ? `${distance} ago` : `in ${distance}`;
}

/** The exact instant in UTC: the same text on the server and in any browser's time zone. */
export function exactText(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
