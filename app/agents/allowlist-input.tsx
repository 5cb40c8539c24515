// The "credentials it may use" input: entries as chips with their mode (Proxy or Deliver), the organization's credential names offered as you type, and a warning for entries that match nothing.
import { AlertTriangle, ChevronDown, Eye, X } from 'lucide-react';
import { useId, useState } from 'react';
import { ErrorList, Label } from '~/components/ui/field';
import { cn } from '~/utils/misc';
import { parseAllowlist, unmatchedPatterns } from './allowlist';
import { DELIVER_SENTENCE, DeliverTag } from './delivery-badge';

export interface NameSuggestions {
  names: string[];
  /** False when the organization has more credentials than were sent: then only the server can tell what matches nothing. */
  complete: boolean;
}

/** The warning under the input (and after saving): entries that match no credential, which is allowed but usually a typo. */
export function UnmatchedWarning({ entries, id }: { entries: readonly string[]; id?: string }) {
  if (entries.length === 0) return null;
  return (
    <div id={id} role="status" className="mt-2 flex gap-2 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
      <AlertTriangle className="mt-0.5 size-4 shrink-0 text-amber-600" aria-hidden />
      <p>
        {entries.length === 1 ? 'This entry matches' : 'These entries match'} no credential in this organization yet:{' '}
        {entries.map((entry, i) => (
          <span key={entry}>
            {i > 0 ? ', ' : ''}
            <code className="rounded bg-amber-100 px-1 font-mono text-xs">{entry}</code>
          </span>
        ))}
        . Check the spelling; the agent can use a credential once one with that name exists.
      </p>
    </div>
  );
}

/**
 * An entry's mode: a native select (so it posts without JavaScript) laid invisibly over a short label.
 * It posts the entry under `name` in Deliver mode and an empty value (ignored by the server) in Proxy mode.
 */
function ModeSelect({ entry, name, deliver, onChange }: { entry: string; name: string; deliver: boolean; onChange: (deliver: boolean) => void }) {
  return (
    <span
      className={cn(
        'relative inline-flex items-center gap-0.5 border-l pr-1 pl-1.5 font-sans text-[11px] font-medium focus-within:outline-2 focus-within:outline-offset-1 focus-within:outline-indigo-600',
        deliver ? 'border-amber-300 bg-amber-100 text-amber-900 hover:bg-amber-200' : 'border-slate-200 text-slate-600 hover:bg-slate-200',
      )}
    >
      <span aria-hidden className="inline-flex items-center gap-0.5">
        {deliver ? <Eye className="size-3" /> : null}
        {deliver ? 'Deliver' : 'Proxy'}
        <ChevronDown className="size-3 opacity-60" />
      </span>
      <select
        name={name}
        value={deliver ? entry : ''}
        onChange={(event) => onChange(event.currentTarget.value !== '')}
        aria-label={`Mode of ${entry}`}
        className="absolute inset-0 size-full cursor-pointer appearance-none opacity-0"
      >
        <option value="">Proxy (never sees the value)</option>
        <option value={entry}>Deliver (agent receives the value)</option>
      </select>
    </span>
  );
}

/** Said under the input while some entry is in Deliver mode. */
function DeliverNotice({ entries, id }: { entries: readonly string[]; id?: string }) {
  if (entries.length === 0) return null;
  return (
    <div id={id} className="mt-2 flex gap-2 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
      <Eye className="mt-0.5 size-4 shrink-0 text-amber-600" aria-hidden />
      <p>
        <span className="font-medium">Delivers values:</span>{' '}
        {entries.map((entry, i) => (
          <span key={entry}>
            {i > 0 ? ', ' : ''}
            <code className="rounded bg-amber-100 px-1 font-mono text-xs">{entry}</code>
          </span>
        ))}
        . {DELIVER_SENTENCE}
      </p>
    </div>
  );
}

/**
 * Every entry travels as its own `name` field (hidden inputs for the chips, plus whatever is still
 * typed), so the form also works before JavaScript loads: the server splits on commas and spaces.
 * The entries in Deliver mode travel the same way as `deliverName` fields, one per entry's mode select.
 */
export function AllowlistInput({
  name = 'allowlist',
  deliverName = 'deliver',
  label = 'Credentials it may use',
  defaultValue,
  defaultDeliver = [],
  suggestions,
  knownUnmatched = [],
  errors,
  disabled,
}: {
  name?: string;
  deliverName?: string;
  label?: string;
  defaultValue: readonly string[];
  /** The entries of defaultValue in Deliver mode; the others are Proxy. */
  defaultDeliver?: readonly string[];
  suggestions: NameSuggestions;
  /** The server's answer for the saved entries, used when the suggestions are not the complete list of names. */
  knownUnmatched?: readonly string[];
  errors?: readonly string[];
  disabled?: boolean;
}) {
  const id = useId();
  const listId = `${id}-names`;
  const [entries, setEntries] = useState<string[]>(() => [...defaultValue]);
  const [deliver, setDeliver] = useState<string[]>(() => defaultDeliver.filter((e) => defaultValue.includes(e)));
  const [draft, setDraft] = useState('');
  const unmatched = suggestions.complete ? unmatchedPatterns(entries, suggestions.names) : entries.filter((e) => knownUnmatched.includes(e));
  const delivered = entries.filter((e) => deliver.includes(e));
  const describedBy = [
    errors?.length ? `${id}-error` : `${id}-hint`,
    unmatched.length ? `${id}-warning` : null,
    delivered.length ? `${id}-deliver` : null,
  ]
    .filter(Boolean)
    .join(' ');

  function remove(entry: string) {
    setEntries(entries.filter((e) => e !== entry));
    setDeliver(deliver.filter((e) => e !== entry));
  }

  function add(text: string) {
    const added = parseAllowlist(text).filter((entry) => !entries.includes(entry));
    if (added.length > 0) setEntries([...entries, ...added]);
    setDraft('');
  }

  return (
    <div>
      {disabled ? <p className="text-sm font-medium text-slate-800">{label}</p> : <Label htmlFor={id}>{label}</Label>}
      <div
        className={cn(
          'mt-1.5 flex min-h-9 flex-wrap items-center gap-1.5 rounded-lg bg-white px-2 py-1.5 shadow-sm ring-1 ring-slate-300 ring-inset focus-within:ring-2 focus-within:ring-indigo-600',
          errors?.length ? 'ring-red-400' : null,
          disabled ? 'bg-slate-50' : null,
        )}
      >
        {entries.map((entry) => {
          const missing = unmatched.includes(entry);
          const delivers = deliver.includes(entry);
          return (
            <span
              key={entry}
              className={cn(
                'inline-flex max-w-full items-stretch overflow-hidden rounded-md font-mono text-xs ring-1 ring-inset',
                missing ? 'bg-amber-50 text-amber-900 ring-amber-300' : delivers ? 'bg-white text-slate-800 ring-amber-300' : 'bg-slate-100 text-slate-800 ring-slate-200',
              )}
            >
              <span data-testid="allowlist-entry" className="inline-flex min-w-0 items-center gap-1 py-0.5 pr-1.5 pl-2">
                {missing ? <AlertTriangle className="size-3 shrink-0 text-amber-600" aria-label="Matches no credential" /> : null}
                <span className="truncate">{entry}</span>
              </span>
              <input type="hidden" name={name} value={entry} />
              {disabled ? (
                delivers ? (
                  <span className="inline-flex items-center py-0.5 pr-1">
                    <DeliverTag />
                  </span>
                ) : null
              ) : (
                <>
                  <ModeSelect entry={entry} name={deliverName} deliver={delivers} onChange={(on) => setDeliver(on ? [...deliver, entry] : deliver.filter((e) => e !== entry))} />
                  <button
                    type="button"
                    onClick={() => remove(entry)}
                    className={cn(
                      'border-l px-1 text-slate-400 hover:bg-slate-200 hover:text-slate-700 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600',
                      delivers ? 'border-amber-300' : 'border-slate-200',
                    )}
                    aria-label={`Remove ${entry}`}
                  >
                    <X className="size-3" aria-hidden />
                  </button>
                </>
              )}
            </span>
          );
        })}
        {disabled ? (
          entries.length === 0 ? (
            <span className="px-1 text-sm text-slate-400">No credentials allowed</span>
          ) : null
        ) : (
          <input
            id={id}
            name={name}
            list={listId}
            value={draft}
            autoComplete="off"
            spellCheck={false}
            placeholder={entries.length === 0 ? 'github_*, openai-prod' : 'Add another'}
            aria-invalid={errors?.length ? true : undefined}
            aria-describedby={describedBy}
            onChange={(event) => {
              const value = event.currentTarget.value;
              // Picking a suggestion from the list adds it at once; typing waits for Enter, a comma or a space.
              const picked = (event.nativeEvent as InputEvent).inputType === undefined || (event.nativeEvent as InputEvent).inputType === 'insertReplacementText';
              if (picked && suggestions.names.includes(value)) add(value);
              else if (/[\s,]$/.test(value)) add(value);
              else setDraft(value);
            }}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && draft.trim()) {
                event.preventDefault();
                add(draft);
              } else if (event.key === 'Backspace' && draft === '' && entries.length > 0) {
                remove(entries[entries.length - 1]!);
              }
            }}
            onBlur={() => draft.trim() && add(draft)}
            className="h-6 min-w-40 flex-1 border-0 bg-transparent p-0 px-1 font-mono text-sm text-slate-900 placeholder:font-sans placeholder:text-slate-400 focus:ring-0 focus:outline-none"
          />
        )}
      </div>
      <datalist id={listId}>
        {suggestions.names
          .filter((n) => !entries.includes(n))
          .map((n) => (
            <option key={n} value={n} />
          ))}
      </datalist>
      {errors?.length ? (
        <ErrorList id={`${id}-error`} errors={errors} />
      ) : (
        <p id={`${id}-hint`} className="mt-1.5 text-xs text-slate-500">
          Credential names, as you type them or from the list; <code>*</code> matches anything (e.g. <code>github_*</code>). Each entry is{' '}
          <span className="font-medium text-slate-600">Proxy</span> (Latchkey injects the value, the agent never sees it) unless you set it to{' '}
          <span className="font-medium text-amber-800">Deliver</span> (the agent receives the value).
        </p>
      )}
      <UnmatchedWarning id={`${id}-warning`} entries={unmatched} />
      <DeliverNotice id={`${id}-deliver`} entries={delivered} />
    </div>
  );
}
