// The expiry of an API key, password or file: a date, an optional time, read in the person's time zone, with the exact instant spelled out.
import type { FieldMetadata } from '@conform-to/react';
import { useEffect, useState } from 'react';
import { useBrowserTimeZone } from '~/components/credential-forms/time-zone';
import { ErrorList, Input, Label } from '~/components/ui/field';
import { expiryFormValues, expiryInstant, FALLBACK_TIME_ZONE, formatInstant } from '~/credentials/expiry';

/**
 * Inputs named like their metadata (expiresAt, expiresTime) plus a hidden timeZone the browser fills in.
 * Without JavaScript the zone stays UTC, and the hint says so. `current` is the stored instant (edit form):
 * its date and time are shown in the browser's zone once it is known, unless the person already typed.
 */
export function ExpiryField({
  date,
  time,
  current,
  submitted,
  min,
}: {
  date: FieldMetadata<string | undefined>;
  time: FieldMetadata<string | undefined>;
  current?: string | null;
  /** The form came back from the server: keep what was submitted. */
  submitted: boolean;
  min?: string;
}) {
  const zone = useBrowserTimeZone();
  const [values, setValues] = useState(() => ({
    date: typeof date.initialValue === 'string' ? date.initialValue : '',
    time: typeof time.initialValue === 'string' ? time.initialValue : '',
    typed: false,
  }));
  useEffect(() => {
    // The server rendered the stored instant in UTC; show it in the browser's zone instead.
    if (zone && current && !submitted) setValues((v) => (v.typed ? v : { ...expiryFormValues(current, zone), typed: false }));
  }, [zone, current, submitted]);

  const readIn = zone ?? FALLBACK_TIME_ZONE;
  const instant = values.date ? expiryInstant(values.date, values.time || null, readIn) : null;
  const errors = [...(date.errors ?? []), ...(time.errors ?? [])];
  const hintId = `${date.id}-hint`;
  const errorId = `${date.id}-error`;
  const describedBy = errors.length ? `${hintId} ${errorId}` : hintId;
  return (
    <fieldset className="min-w-0">
      <legend className="text-sm font-medium text-slate-800">
        Expires<span className="ml-1 font-normal text-slate-500">(optional)</span>
      </legend>
      <input type="hidden" name="timeZone" value={readIn} />
      <div className="mt-1.5 grid grid-cols-[minmax(0,1fr)_8.5rem] gap-3 sm:grid-cols-[13rem_8.5rem]">
        <div>
          <Label htmlFor={date.id} className="text-xs font-normal text-slate-500">
            <span className="sr-only">Expiry </span>
            Date
          </Label>
          <Input
            id={date.id}
            name={date.name}
            type="date"
            value={values.date}
            min={min}
            onChange={(e) => setValues({ ...values, date: e.target.value, typed: true })}
            className="mt-1"
            aria-invalid={date.errors?.length ? true : undefined}
            aria-describedby={describedBy}
          />
        </div>
        <div className="w-32">
          <Label htmlFor={time.id} className="text-xs font-normal text-slate-500">
            Time <span className="sr-only">(optional)</span>
          </Label>
          <Input
            id={time.id}
            name={time.name}
            type="time"
            value={values.time}
            onChange={(e) => setValues({ ...values, time: e.target.value, typed: true })}
            className="mt-1"
            aria-invalid={time.errors?.length ? true : undefined}
            aria-describedby={describedBy}
          />
        </div>
      </div>
      <p id={hintId} className="mt-1.5 text-xs text-slate-500" aria-live="polite">
        {instant ? (
          <>
            Expires <span className="font-medium text-slate-700" data-testid="expiry-exact">{formatInstant(instant, readIn)}</span>
            {values.time ? '' : ', the end of that day'}
            {zone ? ` in your time zone (${zone})` : ''}.
          </>
        ) : (
          <>Without a time, the credential expires at the end of that day. Leave both empty for no expiry.</>
        )}
        {zone ? null : <> Dates and times are read in UTC; turn on JavaScript to use your own time zone.</>}
      </p>
      <ErrorList id={errorId} errors={errors} />
    </fieldset>
  );
}
