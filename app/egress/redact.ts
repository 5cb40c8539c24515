// Removes what Latchkey itself sent (secrets, tokens, Basic credentials) from anything a provider says back, in every encoding it may come back in.
//
// Providers echo requests in their errors: an `error_description` that repeats the Authorization header is
// base64(client_id:client_secret), a body snippet carries the form-encoded refresh token, a JSON answer
// escapes slashes. Whatever reaches a status reason, an audit row, a log line, a webhook or an exception
// message goes through a Redactor built from the values of that one request first.

export const REDACTED = '[redacted]';

/** Shorter values are not redacted: three characters would shred ordinary words. */
const MIN_SECRET_LENGTH = 4;
/** Base64 cores (see below) shorter than this could match by chance. */
const MIN_CORE_LENGTH = 8;

function toBase64Url(b64: string): string {
  return b64.replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The base64 of `bytes` as it appears inside the base64 of any longer text, whatever its offset: for each of
 * the three alignments, the characters that depend on these bytes alone (the partial groups at both ends
 * also depend on the neighbours, so they are left out; they carry at most two bytes of the value).
 */
function base64Cores(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    const full = Math.floor(padded.length / 3) * 4;
    const skip = shift === 0 ? 0 : shift === 1 ? 2 : 3;
    const core = padded.toString('base64').slice(skip, full);
    if (core.length >= MIN_CORE_LENGTH) out.push(core);
  }
  return out;
}

function percentVariants(encoded: string): string[] {
  // Hex digits may come back in either case (%2F or %2f).
  return [encoded, encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every form a value may come back in: raw, base64 (standard, url, unpadded, embedded), URL- and form-encoded, JSON- and HTML-escaped. */
export function secretForms(value: string): string[] {
  if (value.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>([value]);
  const bytes = Buffer.from(value, 'utf8');
  const b64 = bytes.toString('base64');
  for (const form of [b64, b64.replace(/=+$/, ''), toBase64Url(b64), toBase64Url(b64).replace(/=+$/, '')]) forms.add(form);
  for (const core of base64Cores(bytes)) {
    forms.add(core);
    forms.add(toBase64Url(core));
  }
  for (const encoded of [encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2), encodeURIComponent(encodeURIComponent(value))]) {
    for (const form of percentVariants(encoded)) forms.add(form);
  }
  const json = JSON.stringify(value).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/\//g, '\\/'));
  forms.add(json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  forms.add(value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!));
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

export interface SentCredentials {
  /** Values sent as they are (client secret, refresh token, access token, code, code verifier …). */
  secrets?: ReadonlyArray<string | null | undefined>;
  /** HTTP Basic pairs sent: both the RFC 6749 form-encoded pair and the plain one are covered. */
  basic?: ReadonlyArray<{ username: string; password: string | null | undefined }>;
}

/** Redacts one request's sent values from provider text. Build one per request; `redact` never throws. */
export class Redactor {
  private readonly forms: string[];

  constructor(sent: SentCredentials) {
    const values = new Set<string>();
    for (const secret of sent.secrets ?? []) if (secret) values.add(secret);
    for (const { username, password } of sent.basic ?? []) {
      if (!password) continue;
      values.add(password);
      values.add(`${username}:${password}`);
      values.add(`${encodeURIComponent(username)}:${encodeURIComponent(password)}`);
    }
    const forms = new Set<string>();
    for (const value of values) for (const form of secretForms(value)) forms.add(form);
    // Longest first, so a form that contains another is removed whole.
    this.forms = [...forms].sort((a, b) => b.length - a.length);
  }

  /** The text with every sent value, in every form, replaced by [redacted]. */
  redact(text: string): string {
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  }

  /** True when the text carries any sent value in any form. */
  matches(text: string): boolean {
    return this.forms.some((form) => text.includes(form));
  }

  /** Redacts then shortens (never the other way round: a cut could leave part of a value behind). */
  redactShort(text: string, max = 300): string {
    return this.redact(text).slice(0, max);
  }

  /** Every string inside a JSON-like value, redacted (keys too). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.redactDeep(item)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [this.redact(k), this.redactDeep(v)])) as T;
    }
    return value;
  }
}

export function redactorFor(sent: SentCredentials): Redactor {
  return new Redactor(sent);
}
