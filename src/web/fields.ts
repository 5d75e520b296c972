/**
 * Zod building blocks for the fields of forms and JSON bodies, shared by every capability: an empty box
 * (blank, whitespace or null) means "not given", and the messages are Chinese.
 */
import { z } from 'zod';

export const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** `schema`, or absent when the box was left empty. */
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (blank(v) ? undefined : v), schema.optional());

/** Free text of at most `max` characters, trimmed; absent when empty. */
export const optionalText = (max: number) => optional(z.string('应为文字').trim().max(max, `最多 ${max} 个字`));

/** A record's id as written in a body (24 hex digits). */
export const objectId = z.string('编号应为字符串').regex(/^[0-9a-f]{24}$/i, '编号格式不正确');
