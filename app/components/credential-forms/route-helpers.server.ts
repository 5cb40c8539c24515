// Server helpers shared by the credential form routes: loading the credential in the org, mapping domain errors, no-store headers.
import type { SubmissionResult } from '@conform-to/react';
import { getCredential, type CredentialView } from '~/credentials/credentials.server';
import { credentialActor } from '~/credentials/actor.server';
import { CredentialError } from '~/credentials/errors';
import { credentialNameSchema } from '~/credentials/schemas';
import type { OrgContext } from '~/orgs/membership.server';
import { forbidden, notFound } from '~/utils/http.server';

/** Headers for any response that may carry a secret value (or the form that leads to one). */
export const NO_STORE_HEADERS = {
  'Cache-Control': 'no-store, max-age=0',
  Pragma: 'no-cache',
} as const;

/** The name asked for by `?name=` (an agent's requirement links here with it), when it is a valid credential name; else null. */
export function prefilledName(url: URL): string | null {
  const parsed = credentialNameSchema.safeParse(url.searchParams.get('name') ?? '');
  return parsed.success ? parsed.data : null;
}

/** The credential of this organization, or the same 404 for a missing one and another organization's. */
export async function requireOwnCredential(ctx: OrgContext, request: Request, id: string | undefined): Promise<CredentialView> {
  try {
    return await getCredential(credentialActor(ctx, request), id ?? '');
  } catch (error) {
    throw httpErrorFor(error);
  }
}

/** A thrown Response for domain errors that are not form errors (404/403); anything else is rethrown as-is. */
export function httpErrorFor(error: unknown): unknown {
  if (error instanceof CredentialError) {
    if (error.code === 'not_found') return notFound();
    if (error.code === 'forbidden') return forbidden(error.message);
  }
  return error;
}

/**
 * A conform reply for a failed submission from the domain's field errors. Secret inputs are never
 * echoed back: their initial values are dropped so the re-rendered form shows them empty.
 */
export function replyWithErrors(
  submission: { reply: (options: { fieldErrors?: Record<string, string[]>; formErrors?: string[]; hideFields?: string[] }) => SubmissionResult<string[]> } | null,
  error: CredentialError,
  hideFields: string[],
): SubmissionResult<string[]> {
  const fieldErrors = error.fieldErrors;
  const formErrors = Object.keys(fieldErrors).length === 0 ? [error.message] : [];
  if (submission) return submission.reply({ fieldErrors, formErrors, hideFields });
  return { status: 'error', error: { ...fieldErrors, ...(formErrors.length ? { '': formErrors } : {}) } };
}
