// Validates user-supplied redirect targets so they can only point inside this site.

/** Returns `to` when it is a same-site relative path, otherwise `fallback`. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = '/'): string {
  if (!to || typeof to !== 'string') return fallback;
  // Protocol-relative ("//evil") and backslash tricks ("/\evil") would leave the site.
  if (!to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f]/.test(to)) return fallback;
  return to;
}
