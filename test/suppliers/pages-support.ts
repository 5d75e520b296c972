/** Shared steps for the supplier page tests: posting page forms with their CSRF token, valid credit codes. */
import type { FastifyInstance } from 'fastify';
import { creditCodeCheckChar } from '../../src/suppliers/credit-code.js';
import { csrfFrom } from '../helper.js';

/** A valid 统一社会信用代码 ending in the given serial. */
export function creditCode(serial: number): string {
  const first17 = `91330108MA${String(serial).padStart(7, '0')}`;
  return first17 + creditCodeCheckChar(first17);
}

export function formBody(fields: Record<string, string | string[] | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params.toString();
}

export async function csrfOf(app: FastifyInstance, cookie: string): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  return csrfFrom(page.body);
}

/** Posts a page form as a browser would (urlencoded, with the session's CSRF token). */
export async function postForm(app: FastifyInstance, url: string, cookie: string, fields: Record<string, string | string[] | undefined> = {}) {
  const _csrf = await csrfOf(app, cookie);
  return app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: formBody({ ...fields, _csrf }),
  });
}

export async function getPage(app: FastifyInstance, url: string, cookie?: string) {
  return app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
}

/** The visible text of an HTML fragment, whitespace collapsed (good enough for assertions). */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The HTML of the first element with the given id or the section after a marker text. */
export function sectionAfter(html: string, marker: string, length = 4000): string {
  const i = html.indexOf(marker);
  return i < 0 ? '' : html.slice(i, i + length);
}

export const approvedVendor = (name: string, serial: number, extra: Record<string, unknown> = {}) => ({
  name, creditCode: creditCode(serial), province: '浙江省', city: '杭州市', district: '滨江区',
  fields: ['security'], status: 'approved', confirmedAt: new Date(), ...extra,
});

export const productDoc = (vendor: { _id: unknown; creditCode: string }, name: string, model: string, extra: Record<string, unknown> = {}) => ({
  vendor: vendor._id, vendorCreditCode: vendor.creditCode, name, model, category: 'video-surveillance', field: 'security',
  status: 'draft', ...extra,
});
