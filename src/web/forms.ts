import type { z } from 'zod';
import { AppError } from './errors.js';

export type FieldErrors = Record<string, string>;

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
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
