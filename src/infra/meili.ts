import http from 'node:http';
import https from 'node:https';
import { Meilisearch, MeilisearchApiError, MeilisearchRequestError, type SearchResponse } from 'meilisearch';
import { AppError } from '../web/errors.js';

const TIMEOUT_MS = 10_000;

export function createMeili(host: string, apiKey: string): Meilisearch {
  // fetch asks for compressed answers by default, and Meilisearch then brotli-compresses every search
  // result: CPU on both ends for a hop inside the data centre. Ask for plain JSON.
  return new Meilisearch({ host, apiKey, timeout: TIMEOUT_MS, requestInit: { headers: { 'Accept-Encoding': 'identity' } } });
}

interface Line { base: URL; agent: http.Agent; request: typeof http.request; authorization?: string }
const lines = new WeakMap<Meilisearch, Line>();

function lineTo(client: Meilisearch): Line {
  let line = lines.get(client);
  if (!line) {
    const base = new URL(client.config.host.replace(/\/*$/, '/'));
    const secure = base.protocol === 'https:';
    line = {
      base,
      agent: new (secure ? https.Agent : http.Agent)({ keepAlive: true }),
      request: secure ? https.request : http.request,
      authorization: client.config.apiKey ? `Bearer ${client.config.apiKey}` : undefined,
    };
    lines.set(client, line);
  }
  return line;
}

/**
 * `client.index(indexUid).search(...)` with the same body, answer and errors (MeilisearchRequestError when
 * the server cannot be reached or times out, MeilisearchApiError when it refuses), sent over node:http
 * with a keep-alive agent: fetch cost about four times the app's CPU per search on the search routes, the
 * busiest of the platform, on machines where the app and Meilisearch share the cores.
 */
export async function searchIndex<T = Record<string, unknown>>(client: Meilisearch, indexUid: string, body: object): Promise<SearchResponse<T>> {
  const line = lineTo(client);
  const url = new URL(`indexes/${encodeURIComponent(indexUid)}/search`, line.base);
  const payload = JSON.stringify(body);
  const send = () => new Promise<{ status: number; statusText: string; text: string }>((resolve, reject) => {
    const req = line.request(url, {
      method: 'POST',
      agent: line.agent,
      timeout: TIMEOUT_MS,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(line.authorization ? { authorization: line.authorization } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${TIMEOUT_MS}ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket })));
    req.end(payload);
  });
  let answer;
  try {
    answer = await send().catch((err: NodeJS.ErrnoException & { reused?: boolean }) => {
      // The server closed an idle kept-alive connection just as it was reused: a search may simply go again.
      if (err.reused && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return send();
      throw err;
    });
  } catch (err) {
    throw new MeilisearchRequestError(url.toString(), err);
  }
  if (answer.status < 200 || answer.status >= 300) {
    let reason: unknown;
    try { reason = JSON.parse(answer.text); } catch { reason = undefined; }
    throw new MeilisearchApiError(new Response(null, { status: answer.status, statusText: answer.statusText }), reason as never);
  }
  return JSON.parse(answer.text) as SearchResponse<T>;
}

/**
 * Where reads go: `read(fn)` runs fn on one Meilisearch server (with several, the search capability's pool
 * picks a healthy, caught-up one and moves on when it cannot be reached; see src/search/servers.ts).
 */
export interface MeiliReader {
  read<T>(fn: (client: Meilisearch) => Promise<T>): Promise<T>;
}

/** A reader for one server. */
export const onlyServer = (client: Meilisearch): MeiliReader => ({ read: (fn) => fn(client) });

export async function meiliAnswers(client: Meilisearch, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${client.config.host.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Meilisearch unreachable: a clear 503 ("<service>暂时不可用") rather than a 500, for the API routes that
 * read from it (writes still succeed and the sync catches up). Any other error passes unchanged.
 */
export async function unavailableAs503<T>(fn: () => Promise<T>, service: '搜索服务' | '匹配服务'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MeilisearchRequestError) throw new AppError(503, 'SEARCH_UNAVAILABLE', `${service}暂时不可用，请稍后再试。`);
    throw err;
  }
}
