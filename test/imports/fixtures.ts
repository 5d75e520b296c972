/** Test data and request helpers for the import tests. */
import type { FastifyInstance } from 'fastify';
import { creditCodeCheckChar } from '../../src/suppliers/credit-code.js';
import { createUser, login } from '../helper.js';

/** A valid credit code whose 17-character body ends with `n` (zero-padded). */
export function creditCode(n: number): string {
  const body = `91330108MA${String(n).padStart(7, '0')}`;
  return body + creditCodeCheckChar(body);
}

/** The same code with a wrong check character. */
export function badCreditCode(n: number): string {
  const good = creditCode(n);
  const wrong = good.endsWith('0') ? '1' : '0';
  return good.slice(0, 17) + wrong;
}

export function vendor(n: number, extra: Record<string, unknown> = {}) {
  return {
    name: `测试供应商${n}号有限公司`, creditCode: creditCode(n), province: '浙江省', city: '杭州市', district: '滨江区',
    fields: ['security'], certifications: ['high-tech'], contact: { name: '张工', phone: '0571-88886666' },
    description: `第 ${n} 家测试企业`, ...extra,
  };
}

export function product(vendorN: number, model: string, extra: Record<string, unknown> = {}) {
  return {
    vendorCreditCode: creditCode(vendorN), name: `网络摄像机 ${model}`, model, category: 'video-surveillance',
    description: '支持 H.265', certifications: ['zhejiang-made'], energyGrade: 2, priceMin: 680, priceMax: 920,
    capacityPerMonth: 5000, leadTimeDays: 15, specs: [{ key: '分辨率', value: '400万像素' }], ...extra,
  };
}

export async function staffSession(app: FastifyInstance, role: 'organizer' | 'admin' = 'organizer') {
  const user = await createUser(app, role);
  return { user, cookie: await login(app, user.email, user.password) };
}

/** Posts a JSON import and runs the worker until the job ends; returns the job as the API reports it. */
export async function importJson(app: FastifyInstance, cookie: string, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie }, payload: body });
  if (res.statusCode !== 202) throw new Error(`import refused: ${res.statusCode} ${res.body}`);
  return finish(app, cookie, res.json().jobId as string);
}

export async function finish(app: FastifyInstance, cookie: string, jobId: string) {
  await app.imports.runPending('test-worker');
  const job = await app.inject({ method: 'GET', url: `/api/v1/imports/${jobId}`, headers: { cookie } });
  return job.json();
}

/** A multipart/form-data body for inject. */
export function multipart(file: { name: string; content: Buffer | string; type?: string } | null, fields: Record<string, string> = {}) {
  const boundary = `----imptest${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [key, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Uploads a file through the API with a bearer token (no CSRF needed) and runs the job. */
export async function importFile(app: FastifyInstance, token: string, cookie: string, name: string, content: Buffer | string, fields: Record<string, string> = {}) {
  const body = multipart({ name, content }, fields);
  const res = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  if (res.statusCode !== 202) return { refused: res };
  return { job: await finish(app, cookie, res.json().jobId as string) };
}

export async function tokenFor(app: FastifyInstance, cookie: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload: { name: '导入测试' } });
  return res.json().token as string;
}

export const cjk = /[\u4e00-\u9fff]/;
