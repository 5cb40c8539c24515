// Expiry instants from what a person picks (a date, maybe a time, in their time zone) and back, and their exact wording (browser-safe).
import { TZDate } from '@date-fns/tz';
import { endOfDay, format } from 'date-fns';

/** What the forms fall back to when the browser did not say (no JavaScript): the page says so next to the field. */
export const FALLBACK_TIME_ZONE = 'UTC';

export const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
export const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
// "UTC" or Area/Location names ("America/Los_Angeles", "America/Argentina/Buenos_Aires", "Etc/GMT+5"); never offsets or abbreviations.
const IANA_NAME = /^(?:UTC|[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)+)$/;

/** True for an IANA time-zone name this runtime knows. */
export function isIanaTimeZone(value: string): boolean {
  if (value.length > 64 || !IANA_NAME.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/**
 * The instant a credential expires for a calendar date (YYYY-MM-DD) in `timeZone`: at `time` (HH:MM) when
 * given, else at the very end of that day (23:59:59.999 there). Null for a date that does not exist.
 */
export function expiryInstant(date: string, time: string | null | undefined, timeZone: string): Date | null {
  const day = DATE_PATTERN.exec(date);
  if (!day) return null;
  const [year, month, dayOfMonth] = [Number(day[1]), Number(day[2]), Number(day[3])];
  // 2027-02-30 must not roll over into March.
  const probe = new Date(Date.UTC(year, month - 1, dayOfMonth));
  if (year < 1970 || probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== dayOfMonth) return null;
  if (time) {
    const clock = TIME_PATTERN.exec(time);
    if (!clock) return null;
    return new Date(new TZDate(year, month - 1, dayOfMonth, Number(clock[1]), Number(clock[2]), timeZone).getTime());
  }
  return new Date(endOfDay(new TZDate(year, month - 1, dayOfMonth, timeZone)).getTime());
}

/** The form's values for a stored instant: its date there, and its time unless it is the end of that day. */
export function expiryFormValues(instant: Date | string | null | undefined, timeZone: string): { date: string; time: string } {
  if (!instant) return { date: '', time: '' };
  const zoned = new TZDate(new Date(instant).getTime(), timeZone);
  const endOfThatDay = endOfDay(zoned).getTime() === zoned.getTime();
  return { date: format(zoned, 'yyyy-MM-dd'), time: endOfThatDay ? '' : format(zoned, 'HH:mm') };
}

/** "Dec 3, 2026, 11:59 PM PST": the exact time in a zone, with the zone's short name. */
export function formatInstant(instant: Date | string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(instant));
}
