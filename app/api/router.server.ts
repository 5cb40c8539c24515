// The agent API at /api/v1, mounted in front of Remix and before the form body limits: credentials, OpenAPI, the proxy.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { authenticateAgent, type AuthenticatedAgent } from '~/agents/agents.server';
import { logger } from '~/logger.server';
import { credentialForAgent, listAgentCredentials, summarize } from './credentials.server';
import { ApiError, sendApiError } from './errors.server';
import { openApiDocument } from './openapi';
import { fastProxy, proxyHandler, type FastProxy, type ProxyOptions } from './proxy.server';
import { credentialListSchema, credentialSummarySchema } from './schemas';

export interface ApiRouterOptions {
  proxy?: ProxyOptions;
}

type AgentHandler = (req: Request, res: Response, agent: AuthenticatedAgent) => Promise<void>;

function withAgent(handler: AgentHandler) {
  return async (req: Request, res: Response, _next: NextFunction) => {
    try {
      const agent = await authenticateAgent(req.headers['proxy-authorization'] ?? req.headers.authorization);
      if (!agent) throw new ApiError(401, 'unauthorized', 'A valid agent token is required (Authorization: Bearer lk_…)');
      await handler(req, res, agent);
    } catch (error) {
      if (error instanceof ApiError) return sendApiError(res, error.status, error.code, error.message);
      logger.error({ requestId: req.id, errorName: (error as Error)?.name }, 'agent API request failed');
      sendApiError(res, 500, 'internal_error', 'Latchkey could not finish this request');
    }
  };
}

/** The API router, carrying the proxy as a plain Node handler that createApp mounts ahead of Express (the hot path). */
export type ApiRouter = Router & { fastProxy: FastProxy };

export function createApiRouter(options: ApiRouterOptions = {}): ApiRouter {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // The proxy reads the raw body itself (streamed, with its own limit): nothing before it may consume it.
  // Requests under /api/v1/proxy/ normally take the fast path (fastProxy below); these routes serve the rest.
  const proxy = proxyHandler(options.proxy);
  router.all('/proxy/:credentialName', proxy);
  router.all('/proxy/:credentialName/*', proxy);

  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(openApiDocument());
  });

  router.get(
    '/credentials',
    withAgent(async (_req, res, agent) => {
      res.json(credentialListSchema.parse({ credentials: await listAgentCredentials(agent) }));
    }),
  );

  router.get(
    '/credentials/:name',
    withAgent(async (req, res, agent) => {
      res.json(credentialSummarySchema.parse(summarize(await credentialForAgent(agent, req.params.name ?? ''))));
    }),
  );

  router.all('*', (_req, res) => sendApiError(res, 404, 'not_found', 'No such API endpoint'));
  return Object.assign(router, { fastProxy: fastProxy(options.proxy) });
}
