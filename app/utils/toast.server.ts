// Flash toasts: a signed cookie set on a redirect and shown once by the root route.
import { createCookieSessionStorage, redirect } from '@remix-run/node';
import { z } from 'zod';
import { getEnv } from '~/config/env.server';

export const ToastSchema = z.object({
  type: z.enum(['success', 'error', 'info']).default('success'),
  title: z.string(),
  description: z.string().optional(),
});
export type Toast = z.infer<typeof ToastSchema>;
export type ToastInput = z.input<typeof ToastSchema>;

const TOAST_KEY = 'toast';

type FlashData = { toast: Toast };
let storage: ReturnType<typeof createCookieSessionStorage<Record<string, never>, FlashData>> | undefined;
function toastStorage() {
  const env = getEnv();
  storage ??= createCookieSessionStorage<Record<string, never>, FlashData>({
    cookie: {
      name: '__flash',
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: env.NODE_ENV === 'production',
      secrets: [env.SESSION_SECRET],
    },
  });
  return storage;
}

/** A Set-Cookie header carrying one toast for the next page. */
export async function createToastHeader(toast: ToastInput): Promise<string> {
  const session = await toastStorage().getSession();
  session.flash(TOAST_KEY, ToastSchema.parse(toast));
  return toastStorage().commitSession(session);
}

/** Redirects and shows `toast` on the destination page. Extra headers (e.g. a session cookie) are kept. */
export async function redirectWithToast(url: string, toast: ToastInput, init: ResponseInit = {}) {
  const headers = new Headers(init.headers);
  headers.append('Set-Cookie', await createToastHeader(toast));
  return redirect(url, { ...init, headers });
}

/** Reads the pending toast (if any) and the header that clears it. */
export async function getToast(request: Request): Promise<{ toast: Toast | null; headers: Headers | null }> {
  const session = await toastStorage().getSession(request.headers.get('Cookie'));
  const parsed = ToastSchema.safeParse(session.get(TOAST_KEY));
  if (!parsed.success) return { toast: null, headers: null };
  return {
    toast: parsed.data,
    headers: new Headers({ 'Set-Cookie': await toastStorage().destroySession(session) }),
  };
}
