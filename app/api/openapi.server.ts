// The API's OpenAPI 3.1 document, generated from the endpoint list and its zod schemas (one source for the router and the document).
import { z } from 'zod';
import type { Endpoint } from './endpoint.server';
import { endpoints } from './endpoints.server';
import { apiErrorSchema } from './schemas';

const ERROR_REF = { $ref: '#/components/schemas/Error' };

function jsonContent(schema: unknown) {
  return { 'application/json': { schema } };
}

/** Turns a zod schema into JSON Schema, moving schemas with a meta id into components (shared, referenced by $ref). */
function converter() {
  const components: Record<string, unknown> = {};
  const toComponents = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as Record<string, unknown>;
  const convert = (schema: z.ZodType, io: 'input' | 'output'): unknown => {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      override: (ctx) => {
        // Dates arrive as ISO strings.
        if (ctx.zodSchema._zod.def.type === 'date') ctx.jsonSchema.type = 'string';
      },
    }) as Record<string, unknown>;
    delete json.$schema;
    // Nested schemas with a meta id come out as $defs: they become shared components, referred to by $ref.
    const defs = (json.$defs ?? {}) as Record<string, unknown>;
    delete json.$defs;
    for (const [name, def] of Object.entries(defs)) components[name] ??= toComponents(def);
    const id = (schema.meta() as { id?: string } | undefined)?.id;
    if (!id) return toComponents(json);
    delete json.id;
    components[id] ??= toComponents(json);
    return { $ref: `#/components/schemas/${id}` };
  };
  return { components, convert };
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Validation failed (fields says which), bad JSON, or a bad cursor',
  401: 'Missing, unknown, revoked or expired token',
};

function operation(endpoint: Endpoint, convert: ReturnType<typeof converter>['convert']) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(endpoint.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema ? { content: jsonContent(convert(response.schema, 'output')) } : {}),
      ...(response.content ? { content: Object.fromEntries(Object.entries(response.content).map(([type, description]) => [type, { schema: { type: 'string', description } }])) } : {}),
    };
  }
  const kindRefused = endpoint.auth === 'any' ? {} : { 403: endpoint.auth === 'agent' ? 'This endpoint is for agent tokens' : 'Needs a management token (management_token_required) whose role may do this (forbidden)' };
  for (const [status, description] of Object.entries({ ...ERROR_TEXT, ...kindRefused, ...endpoint.errors })) {
    responses[status] = { description, content: jsonContent(ERROR_REF) };
  }
  if (endpoint.method === 'post' && !endpoint.secret) responses['422'] = { description: 'The Idempotency-Key was used for a different request', content: jsonContent(ERROR_REF) };

  const parameters: unknown[] = [...endpoint.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (endpoint.query) {
    for (const [name, schema] of Object.entries(endpoint.query.shape)) {
      const json = z.toJSONSchema(schema as z.ZodType, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      delete json.$schema;
      parameters.push({ name, in: 'query', required: false, schema: json, ...(json.type === 'array' ? { style: 'form', explode: true } : {}) });
    }
  }
  if (endpoint.method === 'post' && !endpoint.secret) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'A retry with the same key and request replays the first answer (kept 24 hours)',
      schema: { type: 'string', minLength: 1, maxLength: 200 },
    });
  }

  let requestBody: unknown;
  if (endpoint.body) {
    const schema = convert(endpoint.body, 'input');
    requestBody = {
      required: true,
      content: {
        ...jsonContent(schema),
        ...(endpoint.multipart
          ? { 'multipart/form-data': { schema: { type: 'object', description: 'The same text fields (catalog fields as fields.<name>) and the file in `file`', properties: { file: { type: 'string', format: 'binary' } }, additionalProperties: { type: 'string' } } } }
          : {}),
      },
    };
  }
  const security = endpoint.auth === 'agent' ? [{ agentToken: [] }] : endpoint.auth === 'management' ? [{ managementToken: [] }] : [{ agentToken: [] }, { managementToken: [] }];
  return {
    operationId: endpoint.operationId,
    summary: endpoint.summary,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    security,
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

function proxyPaths() {
  const errors = {
    '401': 'Missing, unknown or revoked token',
    '403': 'Not allowed, or the destination address is refused',
    '404': 'No such credential',
    '409': 'The credential cannot work: expired, disconnected, or needs attention for a cause that stops it',
    '413': 'Request body over the proxy limit',
    '502': 'The upstream failed or redirected elsewhere',
    '504': 'The upstream timed out',
  };
  return {
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
            description: 'Also accepts `Proxy-Authorization: Bearer lk_…`, and the agent token as x-api-key / api-key / x-goog-api-key. Bodies and responses (including server-sent events) are streamed.',
            security: [{ agentToken: [] }],
            responses: {
              default: { description: 'The upstream service’s response, streamed' },
              ...Object.fromEntries(Object.entries(errors).map(([status, description]) => [status, { description, content: jsonContent(ERROR_REF) }])),
            },
          },
        ]),
      ),
    },
  };
}

export function openApiDocument(serverUrl = '/api/v1') {
  const { components, convert } = converter();
  convert(apiErrorSchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const endpoint of endpoints) {
    const path = endpoint.path.replace(/:([A-Za-z]+)/g, '{$1}');
    (paths[path] ??= {})[endpoint.method] = operation(endpoint, convert);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey API',
      version: '1.0.0',
      description:
        'One API for people’s tools and agents. A management token (lkm_…) manages credentials, agents and the audit log with its role; an agent token (lk_…) lists what its allowlist grants, sends requests through the proxy (which injects the credential), and receives values only where an admin granted delivery. Errors are { code, message, fields? }; lists are paginated with nextCursor; POST honours Idempotency-Key.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        agentToken: { type: 'http', scheme: 'bearer', description: 'An agent token (lk_…)' },
        managementToken: { type: 'http', scheme: 'bearer', description: 'A management token (lkm_…), from Settings → API tokens' },
      },
      schemas: components,
    },
    paths: { ...paths, ...proxyPaths() },
  };
}
