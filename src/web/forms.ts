/**
 * How a page validates what it is sent: one set of helpers for every page form.
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
 * - `formErrors(request, missing?)`: the route's validation outcome, one Chinese message per field.
 * - `submitForm(request, action)`: the same, then the action, whose refusal (an AppError with details)
 *   becomes field errors too (`errorsFrom`; `serviceFailure` adds its status): undefined when the form
 *   passed and the action succeeded.
 * - `pageForm(fields, toInput, schema)` and `readForm(request, form, missing?)`: for a form shown again
 *   with the fields as typed (text, checkbox lists) while the service takes another shape; the body keeps
 *   the fields as typed, so the audit, which reads the posted body after the handler, still finds them.
 *
 * A form schema takes the posted form as fastify-formbody gives it (flat string fields; z.preprocess to
 * reshape). Routes with no form or query to re-show (a GET with only an :id) leave out attachValidation:
 * a bad address then answers the same 404 page on its own (src/web/input.ts).
 */
import type { FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from './errors.js';
import { chinaDay } from './china-time.js';

export type FieldErrors = Record<string, string>;

/** A MongoDB id in a page's address. */
export const ObjectIdText = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确');
/** The `:id` of a page's address. */
export const IdParams = z.object({ id: ObjectIdText });
/** A query parameter that never refuses a page: text when it is text, otherwise undefined. */
export const queryText = z.preprocess((v) => (typeof v === 'string' ? v : undefined), z.string().optional());

/**
 * The inline errors of a route declared with `attachValidation: true`: one Chinese message per field
 * (dotted path, "_form" for the whole form), or undefined when the input passed. A failure in the address
 * (params) is not the person's typing: it is thrown as a 404 page, `missing` its message.
 */
export function formErrors(request: FastifyRequest, missing = '您访问的页面不存在或已被移除。'): FieldErrors | undefined {
  const failure = request.validationError;
  if (!failure) return undefined;
  if (failure.validationContext === 'params') throw notFound(missing);
  if (!hasZodFastifySchemaValidationErrors(failure)) return { _form: failure.message };
  const errors: FieldErrors = {};
  for (const issue of failure.validation) {
    const key = issue.instancePath.replace(/^\//, '').replace(/\//g, '.') || '_form';
    errors[key] ??= issue.message ?? '格式不正确';
  }
  return errors;
}

/** Turns a service's AppError with details into inline field errors (other errors propagate). */
export function errorsFrom(err: unknown): FieldErrors {
  if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
  const errors: FieldErrors = { _form: err.message };
  for (const d of err.details ?? []) errors[d.path] = d.message;
  return errors;
}

/** A service's refusal as the page's HTTP status and its inline field errors (other errors propagate). */
export function serviceFailure(err: unknown): { status: number; errors: FieldErrors } {
  const errors = errorsFrom(err);
  return { status: (err as AppError).statusCode, errors };
}

/**
 * A page form's submission: the form's errors, else runs `action` and gives its refusal as field errors
 * (`errorsFrom`); undefined when the form passed and the action succeeded.
 */
export async function submitForm(request: FastifyRequest, action: () => Promise<unknown>): Promise<FieldErrors | undefined> {
  const errors = formErrors(request);
  if (errors) return errors;
  try {
    await action();
    return undefined;
  } catch (err) {
    return errorsFrom(err);
  }
}

/** A posted form as typed: text fields as text (missing: ''), repeated fields (checkboxes) as lists. */
export type FormValues<K extends string, L extends string = never> = Record<K, string> & Record<L, string[]>;

const textOf = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
const listOf = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/** Where a validated form body keeps the service's input, out of sight of whatever reads the fields. */
const parsedInput = Symbol('parsed form input');
type Parsed<K extends string, L extends string, Out> = FormValues<K, L> & { [parsedInput]: Out };

export type FormResult<K extends string, L extends string, Out> =
  { ok: true; values: FormValues<K, L>; input: Out } | { ok: false; values: FormValues<K, L>; errors: FieldErrors };

export interface PageForm<K extends string, L extends string, Out> {
  /**
   * The route's `body` schema. Its output is the fields as typed (so the audit, which reads the posted
   * fields after the handler, still finds them) carrying the parsed input, which `readForm` returns.
   */
  schema: z.ZodType<Parsed<K, L, Out>>;
  /** The fields as typed, read from any body (also one the schema refused). */
  values(body: unknown): FormValues<K, L>;
  /** Validates a body without a request (what the route does, for tests and scripts). */
  read(body: unknown): FormResult<K, L, Out>;
}

/**
 * A form's body schema: `text` and `lists` name the posted fields (anything else, such as `_csrf`, is
 * ignored); `toInput` shapes them for `schema`, whose errors are reported under its own paths.
 */
export function pageForm<S extends z.ZodType, K extends string, L extends string = never>(
  fields: { text: readonly K[]; lists?: readonly L[] },
  toInput: (values: FormValues<K, L>) => unknown,
  schema: S,
): PageForm<K, L, z.output<S>> {
  const values = (body: unknown): FormValues<K, L> => {
    const form = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const out: Record<string, string | string[]> = {};
    for (const key of fields.text) out[key] = textOf(form[key]);
    for (const key of fields.lists ?? []) out[key] = listOf(form[key]);
    return out as FormValues<K, L>;
  };
  const bodySchema = z.unknown().transform((body, ctx): Parsed<K, L, z.output<S>> => {
    const typed = values(body);
    const parsed = schema.safeParse(toInput(typed));
    if (parsed.success) return { ...typed, [parsedInput]: parsed.data as z.output<S> };
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  });
  const read = (body: unknown): FormResult<K, L, z.output<S>> => {
    const result = bodySchema.safeParse(body);
    if (result.success) return resultOf(result.data);
    const errors: FieldErrors = {};
    for (const issue of result.error.issues) errors[issue.path.join('.') || '_form'] ??= issue.message;
    return { ok: false, values: values(body), errors };
  };
  return { schema: bodySchema, values, read };
}

function resultOf<K extends string, L extends string, Out>(body: Parsed<K, L, Out>): FormResult<K, L, Out> {
  const { [parsedInput]: input, ...values } = body;
  return { ok: true, values: values as FormValues<K, L>, input };
}

/** A route's validated form: its values and input, or its values as typed and the errors to show with them. */
export function readForm<K extends string, L extends string, Out>(request: FastifyRequest, form: PageForm<K, L, Out>, missing?: string): FormResult<K, L, Out> {
  const errors = formErrors(request, missing);
  if (errors) return { ok: false, values: form.values(request.body), errors };
  return resultOf(request.body as Parsed<K, L, Out>);
}

/** yyyy-mm-dd in Beijing time, for date inputs. */
export function isoDay(value: unknown): string {
  if (!value) return '';
  const d = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(d.getTime())) return typeof value === 'string' ? value : '';
  return chinaDay(d);
}

/**
 * The fields a form requires, by name (dotted paths): those an empty submission is refused for. The form's
 * own schema decides, so the pages' required marks (views/partials/req.hbs) and the checks never disagree.
 */
export function requiredFields(schema: z.ZodType | { schema: z.ZodType }): Record<string, true> {
  const result = ('schema' in schema && !('safeParse' in schema) ? schema.schema : (schema as z.ZodType)).safeParse({});
  const out: Record<string, true> = {};
  if (!result.success) for (const issue of result.error.issues) if (issue.path.length) out[issue.path.join('.')] = true;
  return out;
}
