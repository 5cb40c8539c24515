// POST /logout ends the session; GET never logs anyone out (it could be triggered by a link).
import { redirect } from '@remix-run/node';
import type { ActionFunctionArgs } from '@remix-run/node';
import { destroySession } from '~/auth/session.server';
import { readFormData } from '~/utils/http.server';

export async function loader() {
  throw redirect('/');
}

export async function action({ request }: ActionFunctionArgs) {
  // It reads no field, but a body that is not a form (JSON, broken multipart, a NUL) is refused before anything changes.
  await readFormData(request);
  throw redirect('/login', { headers: { 'Set-Cookie': await destroySession(request) } });
}
