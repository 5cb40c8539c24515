// The words of "last used" (ADR 005), shared by the pages and the CLI: "Never used", "Used 7 minutes ago".
import { formatDistanceStrict } from 'date-fns';

export const NEVER_USED = 'Never used';

/** "Used just now", "Used 7 minutes ago", "Never used", seen from `now` (the loader's clock, so server and browser agree). */
export function lastUsedText(at: Date | string | null | undefined, now: Date | string): string {
  if (!at) return NEVER_USED;
  const date = new Date(at);
  const diff = new Date(now).getTime() - date.getTime();
  // A use a few seconds "in the future" is clock skew between the flush job and this server.
  if (diff < 45_000) return 'Used just now';
  return `Used ${formatDistanceStrict(date, new Date(now), { roundingMethod: 'floor' })} ago`;
}
