/**
 * One error shape for the whole platform. JSON callers get {error, message, details?} (docs/api.md);
 * browsers get a Chinese error page. Nothing internal leaks into a 500.
 */
import { databaseUnavailable } from '../infra/db.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';

export interface ErrorDetail { path: string; message: string }

export class AppError extends Error {
  constructor(
    public statusCode: number,
    public code: string,
    message: string,
    public details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) => new AppError(400, 'BAD_REQUEST', message, details);
export const unauthorized = (message = '请先登录。') => new AppError(401, 'UNAUTHORIZED', message);
export const forbidden = (message = '您的角色无权进行此操作。') => new AppError(403, 'FORBIDDEN', message);
export const notFound = (message = '未找到该资源。') => new AppError(404, 'NOT_FOUND', message);
export const conflict = (message: string) => new AppError(409, 'CONFLICT', message);

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

/** Requests answered in JSON rather than HTML. */
export function wantsJson(request: FastifyRequest): boolean {
  const url = request.url;
  return url.startsWith('/api/') || url === '/healthz' || url.startsWith('/docs/json');
}

// Fastify's own 4xx errors, in words a person can act on.
const fastifyMessages: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: '不支持该请求内容类型，请使用 application/json。',
  FST_ERR_CTP_BODY_TOO_LARGE: '提交的内容过大。',
  FST_ERR_CTP_EMPTY_JSON_BODY: '请求体不能为空。',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: '请求长度与内容不符。',
  FST_ERR_BAD_URL: '网址无效。',
  FST_CSRF_MISSING_SECRET: '表单已过期，请刷新页面后重新提交。',
  FST_CSRF_INVALID_TOKEN: '表单已过期或来源不明，请刷新页面后重新提交。',
};

const statusCodes: Record<number, string> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'TOO_MANY_REQUESTS',
};

const statusTitles: Record<number, string> = {
  400: '请求有误', 401: '请先登录', 403: '无权访问', 404: '页面不存在', 409: '操作冲突',
  413: '内容过大', 415: '格式不支持', 429: '操作过于频繁', 500: '服务器出错了', 503: '服务暂不可用',
};

function normalize(err: FastifyError | AppError | Error): AppError {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const details = err.validation.map((v) => ({
      path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'),
      message: v.message ?? '格式不正确',
    }));
    return new AppError(400, 'VALIDATION_FAILED', '提交的数据有误，请按提示修改。', details);
  }
  if (err instanceof ZodError) return new AppError(400, 'VALIDATION_FAILED', '请求参数有误。', zodDetails(err));
  if (isResponseSerializationError(err)) return new AppError(500, 'INTERNAL', '服务器内部错误，请稍后再试。');
  // Between primaries (an election) or unreachable: the request may simply be repeated.
  if (databaseUnavailable(err)) return new AppError(503, 'DATABASE_UNAVAILABLE', '数据库暂时不可用（可能正在切换主节点），请稍后重试。');
  const fe = err as FastifyError;
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const message =
      (fe.code && fastifyMessages[fe.code]) ??
      (status === 429 ? '操作过于频繁，请稍后再试。' : status === 400 && err instanceof SyntaxError ? '请求体不是有效的 JSON。' : '请求有误。');
    return new AppError(status, statusCodes[status] ?? 'BAD_REQUEST', message);
  }
  return new AppError(500, 'INTERNAL', '服务器内部错误，请稍后再试。');
}

export async function renderError(request: FastifyRequest, reply: FastifyReply, err: AppError): Promise<FastifyReply> {
  reply.code(err.statusCode);
  if (wantsJson(request) || !reply.page) {
    return reply.send({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
  }
  return reply.page('errors/error.hbs', {
    title: statusTitles[err.statusCode] ?? '出错了',
    status: err.statusCode,
    message: err.message,
    requestId: request.id,
  });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const appError = normalize(err);
    if (appError.statusCode >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: appError.code, status: appError.statusCode }, appError.message);
    return renderError(request, reply, appError);
  });
  app.setNotFoundHandler(async (request, reply) =>
    renderError(request, reply, new AppError(404, 'NOT_FOUND', wantsJson(request) ? '接口不存在。' : '您访问的页面不存在或已被移除。')),
  );
}
