// POST /logout ends the session; GET never logs anyone out (it could be triggered by a link).
import { redirect } from '@remix-run/node';
import type { ActionFunctionArgs } from '@remix-run/node';
import { destroySession } from '~/auth/session.server';

export async function loader() {
  throw redirect('/');
}

export async function action({ request }: ActionFunctionArgs) {
  throw redirect('/login', { headers: { 'Set-Cookie': await destroySession(request) } });
}
