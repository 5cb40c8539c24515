// Bull Board at /admin/queues: every queue the workers consume, for platform administrators only.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type RequestHandler } from 'express';
import { getUserSession } from '~/auth/session.server';
import { createQueue } from '~/queue/queue.server';
import { registry } from '../../workers/registry';

export const BULL_BOARD_PATH = '/admin/queues';

// Bull Board loads its own bundled scripts (no nonce), so its pages get a CSP of their own: same origin only.
const BOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** A Fetch Request carrying the cookie header, so the app's own session helpers decide who this is. */
function toFetchRequest(req: express.Request): Request {
  const headers = new Headers();
  if (req.headers.cookie) headers.set('cookie', req.headers.cookie);
  return new Request(`http://internal${req.originalUrl}`, { headers });
}

/** Only a signed-in platform administrator passes; everyone else gets the same 404 as a missing page. */
export function requirePlatformAdmin(): RequestHandler {
  return (req, res, next) => {
    getUserSession(toFetchRequest(req)).then(
      (found) => {
        if (!found?.user.isPlatformAdmin) {
          res.status(404).set('Cache-Control', 'no-store').type('text/plain').send('Not found');
          return;
        }
        res.setHeader('Content-Security-Policy', BOARD_CSP);
        res.setHeader('Cache-Control', 'no-store');
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/** The router to mount at BULL_BOARD_PATH (queues are producers only: nothing here consumes jobs). */
export function bullBoardHandler(): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: registry.map((r) => new BullMQAdapter(createQueue(r.queue))),
    // @bull-board/express 9.10.1 carries its own copy of @bull-board/api: same shape, different type identity.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Latchkey queues' } },
  });
  const router = express.Router();
  router.use(requirePlatformAdmin());
  router.use(serverAdapter.getRouter() as RequestHandler);
  return router;
}
