// The browser's time zone, known only after hydration (the server renders UTC, so both first renders agree), and an instant shown in it.
import { useEffect, useState } from 'react';
import { FALLBACK_TIME_ZONE, formatInstant, isIanaTimeZone } from '~/credentials/expiry';

/** The browser's IANA time zone; null on the server, without JavaScript and during the first render. */
export function useBrowserTimeZone(): string | null {
  const [zone, setZone] = useState<string | null>(null);
  useEffect(() => {
    const resolved = Intl.DateTimeFormat().resolvedOptions().timeZone;
    setZone(resolved && isIanaTimeZone(resolved) ? resolved : FALLBACK_TIME_ZONE);
  }, []);
  return zone;
}

/** "Dec 3, 2026, 11:59 PM PST": the exact instant in the reader's zone (UTC until the browser says). */
export function ExactTime({ date, className }: { date: Date | string; className?: string }) {
  const zone = useBrowserTimeZone() ?? FALLBACK_TIME_ZONE;
  const instant = new Date(date);
  return (
    <time dateTime={instant.toISOString()} className={className}>
      {formatInstant(instant, zone)}
    </time>
  );
}
