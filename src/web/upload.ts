/**
 * Forms and API calls that carry at most one attached file beside their fields (multipart/form-data, fields
 * as values): the file is read while the body is parsed, so a file over the limit is refused in Chinese
 * before anything is stored, and the route reads it back with `attachedFile`. What the file may be (its
 * type by content) is the service's check.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

type UploadRequest = FastifyRequest & { uploadFilename?: string };

/** Registers multipart parsing in this plugin's scope: one file of at most `maxBytes`, `tooLarge` when over. */
export async function acceptOneFile(app: FastifyInstance, options: { maxBytes: number; tooLarge: string }): Promise<void> {
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: options.maxBytes, files: 1, fields: 10, parts: 12, fieldSize: 16 * 1024 },
    throwFileSizeLimit: true,
    async onFile(part) {
      try {
        const buf = await part.toBuffer();
        (part as unknown as { value: Buffer }).value = buf;
        (this as UploadRequest).uploadFilename = part.filename?.slice(0, 200) || undefined;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode ?? 500;
        if (status === 413) throw new AppError(413, 'FILE_TOO_LARGE', options.tooLarge);
        if (status >= 400 && status < 500) throw new AppError(400, 'BAD_UPLOAD', '未能读取上传的附件，请重新选择。');
        throw err;
      }
    },
  });
}

/** The posted file (a Buffer under `file`) with its name if it had one; none for an empty file field; anything else under `file` is refused. */
export function attachedFile(request: FastifyRequest): { buffer: Buffer; filename?: string } | undefined {
  const file = (request.body as Record<string, unknown> | undefined)?.file;
  if (file === undefined || file === null || file === '') return undefined;
  if (!Buffer.isBuffer(file)) throw new AppError(400, 'BAD_UPLOAD', '附件须以 multipart/form-data 的 file 字段上传。');
  return file.length ? { buffer: file, filename: (request as UploadRequest).uploadFilename } : undefined;
}
