// Reading an API request's query string with a schema, and zod errors as the API's validation_failed answer.
import type { z } from 'zod';
import { ApiError } from './errors.server';

/** Reads the query string with a schema: repeated keys become arrays where the schema wants arrays. */
export function parseQuery<T extends z.ZodObject>(schema: T, query: URLSearchParams): z.output<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const all = query.getAll(key);
    if (all.length === 0) continue;
    const inner = schema.shape[key] as z.ZodType;
    raw[key] = inner.safeParse([]).success || inner.safeParse(['x']).success ? all : all[0];
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

export function validationError(error: z.ZodError, message = 'Check the highlighted fields'): ApiError {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) (fields[issue.path.map(String).join('.') || 'body'] ??= []).push(issue.message);
  return new ApiError(400, 'validation_failed', message, fields);
}

