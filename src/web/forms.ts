/**
 * How a page validates what it is sent, the one way every page does it:
 *
 *   app.post('/things/:id', {
 *     config: { access: ['vendor'] },
 *     schema: { params: IdParams, body: ThingForm },   // zod, as the JSON API routes use
 *     attachValidation: true,                          // the handler answers bad input, not a raw 400
 *   }, async (request, reply) => {
 *     const errors = formErrors(request);              // a malformed :id is thrown here as a 404 page
 *     if (errors) return render(request.body, errors, 400);  // request.body is then still the raw post
 *     ...request.body is the parsed form from here on
 *   });
 *
 * A form schema takes the posted form as fastify-formbody gives it (flat string fields; z.preprocess to
 * reshape). Routes with no form or query to re-show (a GET with only an :id) leave out attachValidation:
 * a bad address then answers the same 404 page on its own (src/web/input.ts).
 */
import type { FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from './errors.js';
import { chinaDay } from './china-time.js';

export type FieldErrors = Record<string, string>;

/** A MongoDB id in a page's address. */
export const ObjectIdText = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确');
/** The `:id` of a page's address. */
export const IdParams = z.object({ id: ObjectIdText });

/**
 * The inline errors of a route declared with `attachValidation: true`: one Chinese message per field
 * (dotted path, "_form" for the whole form), or undefined when the input passed. A failure in the address
 * (params) is not the person's typing: it is thrown, and the error handler shows its page.
 */
export function formErrors(request: FastifyRequest): FieldErrors | undefined {
  const failure = request.validationError;
  if (!failure) return undefined;
  if (!hasZodFastifySchemaValidationErrors(failure) || failure.validationContext === 'params') throw failure;
  const errors: FieldErrors = {};
  for (const issue of failure.validation) {
    const key = issue.instancePath.replace(/^\//, '').replace(/\//g, '.') || '_form';
    errors[key] ??= issue.message ?? '格式不正确';
  }
  return errors;
}

/** Validates a posted form; on failure returns one Chinese message per field for inline display. */
export function parseForm<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; data: z.output<S> } | { ok: false; errors: FieldErrors } {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || '_form';
    errors[key] ??= issue.message;
  }
  return { ok: false, errors };
}

/** Turns a service's AppError with details into inline field errors (other errors propagate). */
export function errorsFrom(err: unknown): FieldErrors {
  if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
  const errors: FieldErrors = { _form: err.message };
  for (const d of err.details ?? []) errors[d.path] = d.message;
  return errors;
}

/** yyyy-mm-dd in Beijing time, for date inputs. */
export function isoDay(value: unknown): string {
  if (!value) return '';
  const d = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(d.getTime())) return typeof value === 'string' ? value : '';
  return chinaDay(d);
}
