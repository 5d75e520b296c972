/**
 * Input the platform refuses before any route sees it, whatever the route: a JSON body must be valid UTF-8,
 * an object at the top, at most MAX_DEPTH levels deep, and free of `$`-prefixed keys (MongoDB operators).
 * Validation itself never throws: a schema whose refinement trips over a malformed value answers 400, not 500.
 * And zod's messages read as plain Chinese sentences ("不能小于 0", not "数值过小：期望 number >=0").
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from './errors.js';

/** The deepest legitimate body (an import row's contact, an event's slots) is 4 levels; leave room. */
export const MAX_DEPTH = 32;

const invalid = (message: string, path = '') => new AppError(400, 'BAD_REQUEST', message, [{ path, message }]);

/** Why a parsed JSON body is refused, or undefined. Iterative: a deeply nested body cannot blow the stack. */
export function bodyProblem(value: unknown): AppError | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return invalid('请求体应为 JSON 对象（{…}）。');
  const stack: Array<{ value: object; depth: number; path: string }> = [{ value, depth: 1, path: '' }];
  while (stack.length) {
    const { value: node, depth, path } = stack.pop()!;
    if (depth > MAX_DEPTH) return invalid(`请求体嵌套层级过深（最多 ${MAX_DEPTH} 层）。`, path);
    const entries: Array<[string, unknown]> = Array.isArray(node) ? node.map((v, i) => [String(i), v]) : Object.entries(node);
    for (const [key, child] of entries) {
      const at = path ? `${path}.${key}` : key;
      if (!Array.isArray(node) && key.startsWith('$')) return invalid('请求体含有不允许的字段名：字段名不能以 $ 开头。', at.slice(0, 200));
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1, path: at });
    }
  }
  return undefined;
}

/** Replaces fastify's JSON body parser with one that also applies bodyProblem(); route body limits still apply. */
export function registerJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const buffer = body as Buffer;
    if (!isUtf8(buffer)) {
      done(invalid('请求体不是有效的 UTF-8 文本。'), undefined);
      return;
    }
    // Fastify's default JSON parser answers through the callback (it returns nothing); its type is that
    // of any body parser, which may also return a promise, hence `void`.
    void parseJson(request, buffer.toString('utf8'), (err, value) => {
      if (err) return done(err, undefined);
      const problem = bodyProblem(value);
      if (problem) return done(problem, undefined);
      done(null, value);
    });
  });
}

/**
 * fastify-type-provider-zod's compiler, except that a schema throwing on odd input (a refinement reading a
 * property of null, say) is a 400 like any other invalid input, and a malformed id in a page's address a 404.
 */
export const safeValidatorCompiler: typeof validatorCompiler = (route) => {
  const validate = validatorCompiler(route);
  // A page address whose id is malformed names no page: the same 404 as any unknown address.
  const pageAddress = route.httpPart === 'params' && !route.url.startsWith('/api/');
  return (data) => {
    try {
      const result = validate(data);
      if (pageAddress && typeof result === 'object' && 'error' in result && result.error) return { error: new AppError(404, 'NOT_FOUND', '您访问的页面不存在或已被移除。') };
      return result;
    } catch {
      const notObject = data === null || data === undefined || typeof data !== 'object' || Array.isArray(data);
      const message = notObject ? '请求体应为 JSON 对象（{…}）。' : '提交的数据无法识别，请检查格式。';
      return { error: new AppError(400, 'VALIDATION_FAILED', message, [{ path: '', message }]) };
    }
  };
};

type Issue = Parameters<NonNullable<z.core.$ZodConfig['customError']>>[0];

const typeNames: Record<string, string> = {
  string: '文字', number: '数字', int: '整数', boolean: 'true 或 false', array: '列表（数组）', object: '对象（{…}）', date: '日期',
};

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** A Chinese sentence for a zod issue that its schema gave no message of its own. */
export function humanMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return '此项必填';
      return typeNames[issue.expected] ? `应为${typeNames[issue.expected]}` : '格式不正确';
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min <= 1 ? '不能为空' : `至少 ${min} 个字`;
      if (issue.origin === 'array' || issue.origin === 'set') return `至少 ${min} 项`;
      if (issue.origin === 'date') return '日期过早';
      return issue.inclusive ? `不能小于 ${min}` : `应大于 ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `最多 ${max} 个字`;
      if (issue.origin === 'array' || issue.origin === 'set') return `最多 ${max} 项`;
      if (issue.origin === 'date') return '日期过晚';
      return issue.inclusive ? `不能大于 ${max}` : `应小于 ${max}`;
    }
    case 'invalid_format':
      if (issue.format === 'email') return '邮箱格式不正确';
      if (issue.format === 'url') return '网址格式不正确';
      if (['datetime', 'date', 'time'].includes(issue.format)) return '日期或时间格式不正确';
      return '格式不正确';
    case 'invalid_value':
      if (issue.values.length === 1) return `应为 ${show(issue.values[0])}`;
      if (issue.values.length <= 12) return `应为以下之一：${issue.values.map(show).join('、')}`;
      return '不是可选的值';
    case 'not_multiple_of':
      return `应为 ${String(issue.divisor)} 的倍数`;
    case 'unrecognized_keys':
      return `不支持的字段：${issue.keys.join('、')}`;
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
      return '格式不正确';
    case 'custom':
      return '内容不符合要求';
    default:
      return undefined;
  }
}

// zh-CN for anything humanMessage leaves (config.ts sets it too; here it holds wherever the app is built).
z.config({ ...z.locales.zhCN(), customError: humanMessage });
