import { flatRoutes } from '@remix-run/fs-routes';
import type { RouteConfig } from '@remix-run/route-config';

// File-system routes with Remix's flat-routes convention (app/routes/*.tsx).
export default flatRoutes() satisfies RouteConfig;
