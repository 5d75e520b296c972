/**
 * Zod-validated page routes. A page route declares its `params`, `querystring` and form `body` schemas
 * with `attachValidation: true`, so that a refused form comes back to its handler (to show the errors
 * next to the fields) instead of ending in a bare 400. `pageForm` builds such a body schema: it keeps the
 * fields as typed (to fill the form again) with the input the service takes.
 */
import type { FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from './errors.js';
import type { FieldErrors } from './forms.js';

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

/**
 * The outcome of a page route's validation: nothing wrong (undefined), or the form's field errors (a
 * malformed id in the URL is thrown as a Chinese 404 page, `missing` its message).
 */
export function pageErrors(request: FastifyRequest, missing = '您访问的页面不存在或已被移除。'): FieldErrors | undefined {
  const err = request.validationError;
  if (!err) return undefined;
  if (err.validationContext === 'params') throw notFound(missing);
  const errors: FieldErrors = {};
  if (hasZodFastifySchemaValidationErrors(err)) {
    for (const v of err.validation) {
      const key = v.instancePath.replace(/^\//, '').replace(/\//g, '.') || '_form';
      errors[key] ??= v.message;
    }
  } else {
    errors._form = err.message;
  }
  return errors;
}

/** A route's validated form: its values and input, or its values as typed and the errors to show with them. */
export function readForm<K extends string, L extends string, Out>(request: FastifyRequest, form: PageForm<K, L, Out>, missing?: string): FormResult<K, L, Out> {
  const errors = pageErrors(request, missing);
  if (errors) return { ok: false, values: form.values(request.body), errors };
  return resultOf(request.body as Parsed<K, L, Out>);
}

/** A query parameter that never refuses a page: text when it is text, otherwise undefined. */
export const queryText = z.preprocess((v) => (typeof v === 'string' ? v : undefined), z.string().optional());
