/**
 * Reading an uploaded import file from a multipart request: one `file` part (.xlsx or .csv, checked by
 * name and content), an optional `publish` field. Failures are AppErrors with Chinese messages. The
 * content is checked here, before the file is stored (GridFS) or a job created: a .xlsx must be a sound
 * zip within the limits of xlsx-guard.ts (no zip bombs), a .csv must be text.
 */
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest } from '../web/errors.js';
import type { ImportFormat } from './sheets.js';
import { checkXlsx } from './xlsx-guard.js';

export const MAX_FILE_BYTES = 20 * 1024 * 1024;

const unsupported = (message: string) => new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', message);
const tooLarge = () => new AppError(413, 'PAYLOAD_TOO_LARGE', `文件超过 ${MAX_FILE_BYTES / 1024 / 1024} MB 上限，请拆分后分批导入。`);

export const truthy = (value: unknown) => typeof value === 'string' && ['true', 'on', '1', 'yes'].includes(value.toLowerCase());

/** What the file is, judged by its name and its first bytes (a renamed file is refused). */
export function formatOf(filename: string, buffer: Buffer): ImportFormat {
  const name = filename.toLowerCase();
  const zip = buffer.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  const ole = buffer.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]));
  if (name.endsWith('.xlsx')) {
    if (!zip) throw unsupported('文件内容不是有效的 .xlsx 表格：请在 Excel 或 WPS 中另存为 .xlsx 后重新上传。');
    return 'xlsx';
  }
  if (name.endsWith('.csv')) {
    if (zip || ole || buffer.includes(0)) throw unsupported('文件内容不是文本格式的 CSV：Excel 表格请保存为 .xlsx 上传。');
    return 'csv';
  }
  if (name.endsWith('.xls') || ole) throw unsupported('不支持旧版 .xls 格式：请在 Excel 或 WPS 中另存为 .xlsx 后重新上传。');
  throw unsupported('仅支持 .xlsx 或 .csv 文件：请使用下载的导入模板。');
}

export interface Upload { buffer: Buffer; filename: string; format: ImportFormat; publish: boolean }

export async function readUpload(request: FastifyRequest): Promise<Upload> {
  let file: { buffer: Buffer; filename: string } | undefined;
  let publish = truthy((request.query as Record<string, unknown> | undefined)?.publish);
  try {
    for await (const part of request.parts({ limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 20 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || file) {
          await part.toBuffer();
          continue;
        }
        file = { buffer: await part.toBuffer(), filename: part.filename ?? '' };
      } else if (part.fieldname === 'publish') {
        publish = truthy(part.value);
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
    if (code === 'FST_FILES_LIMIT') throw new AppError(413, 'PAYLOAD_TOO_LARGE', '一次只能上传一个文件。');
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw badRequest('表单字段过多。');
    if (err instanceof AppError) throw err;
    throw badRequest('上传的内容不完整或格式有误，请重新选择文件上传。');
  }
  if (!file || !file.filename) throw badRequest('请选择要上传的文件（表单字段 file）。', [{ path: 'file', message: '请选择文件' }]);
  if (!file.buffer.length) throw badRequest('上传的文件是空的：请在模板中填写数据后再上传。', [{ path: 'file', message: '文件是空的' }]);
  const format = formatOf(file.filename, file.buffer);
  if (format === 'xlsx') {
    const problem = await checkXlsx(file.buffer);
    if (problem) throw badRequest(problem, [{ path: 'file', message: problem }]);
  }
  return { ...file, format, publish };
}
