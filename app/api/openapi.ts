// The agent API's OpenAPI 3.1 document, generated from the zod schemas in ./schemas.
import { z } from 'zod';
import { apiErrorSchema, credentialListSchema, credentialSummarySchema } from './schemas';

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

function componentSchemas(): Record<string, unknown> {
  // One registry pass: schemas with a meta id become components and refer to each other by $ref.
  const registry = z.registry<{ id: string }>();
  for (const schema of [apiErrorSchema, credentialSummarySchema, credentialListSchema]) {
    const id = (schema.meta() as { id: string }).id;
    registry.add(schema, { id });
  }
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` });
  for (const schema of Object.values(schemas)) delete (schema as Record<string, unknown>).$schema;
  return schemas;
}

export function openApiDocument(serverUrl = '/api/v1') {
  const auth = [{ agentToken: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey agent API',
      version: '1.0.0',
      description: 'Agents list the credentials they may use and send requests through the proxy, which injects the credential; agents never see secret values.',
    },
    servers: [{ url: serverUrl }],
    security: auth,
    components: {
      securitySchemes: { agentToken: { type: 'http', scheme: 'bearer', description: 'An agent token (lk_…)' } },
      schemas: componentSchemas(),
    },
    paths: {
      '/credentials': {
        get: {
          operationId: 'listCredentials',
          summary: 'The credentials this agent may use (no values)',
          responses: {
            '200': { description: 'Credentials', content: { 'application/json': { schema: { $ref: '#/components/schemas/CredentialList' } } } },
            '401': errorResponse('Missing, unknown or revoked token'),
          },
        },
      },
      '/credentials/{name}': {
        get: {
          operationId: 'getCredential',
          summary: 'One credential this agent may use (no value)',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'Credential', content: { 'application/json': { schema: { $ref: '#/components/schemas/Credential' } } } },
            '401': errorResponse('Missing, unknown or revoked token'),
            '403': errorResponse('Not in this agent’s allowlist'),
            '404': errorResponse('No such credential in the agent’s organization'),
          },
        },
      },
      '/proxy/{name}/{path}': {
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'path', in: 'path', required: true, description: 'Appended to the credential’s base URL, with the query string', schema: { type: 'string' } },
        ],
        ...Object.fromEntries(
          ['get', 'post', 'put', 'patch', 'delete'].map((method) => [
            method,
            {
              operationId: `proxy${method[0]!.toUpperCase()}${method.slice(1)}`,
              summary: 'Forward a request to the credential’s service with the credential injected',
              description: 'Also accepts `Proxy-Authorization: Bearer lk_…`. Bodies and responses (including server-sent events) are streamed.',
              responses: {
                default: { description: 'The upstream service’s response, streamed' },
                '401': errorResponse('Missing, unknown or revoked token'),
                '403': errorResponse('Not allowed, or the destination address is refused'),
                '404': errorResponse('No such credential'),
                '409': errorResponse('The credential cannot work: expired, disconnected, or needs attention for a cause that stops it (revoked, rejected). An expiring credential, and an OAuth token whose refresh is overdue, are still forwarded'),
                '413': errorResponse('Request body over the proxy limit'),
                '502': errorResponse('The upstream failed or redirected elsewhere'),
                '504': errorResponse('The upstream timed out'),
              },
            },
          ]),
        ),
      },
    },
  };
}
