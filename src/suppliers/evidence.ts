/**
 * Certificate scans (证书扫描件): a PDF or an image, checked by its content, at most 5 MB and within the
 * vendor's storage quota (files.ts), kept in the GridFS bucket "uploads" with the owning vendor and
 * `kind: 'evidence'`. A scan is never public: /files
 * serves it to the company's own users and to staff only. A certificate names its scan by id in the
 * profile (VendorInput.qualifications[].scanFileId), so it reaches the reviewer beside the diff.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ObjectIdParam } from '../accounts/index.js';
import { AppError } from '../web/errors.js';
import { storeVendorFile } from './files.js';
import { requireUser } from '../accounts/index.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('供应商名录');

export const MAX_EVIDENCE_BYTES = 5 * 1024 * 1024;

/** The one file of a multipart upload; its type, size and the quota are checked by storeVendorFile before storing. */
async function readEvidence(request: FastifyRequest) {
  let buf: Buffer | undefined;
  let filename = 'scan';
  try {
    const part = request.isMultipart() ? await request.file() : undefined;
    if (part) {
      filename = part.filename || filename;
      buf = await part.toBuffer();
    }
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) throw new AppError(413, 'FILE_TOO_LARGE', '扫描件不能超过 5 MB，请压缩后再上传。');
    if (status >= 400 && status < 500) throw new AppError(400, 'BAD_UPLOAD', '未能读取上传的文件，请重新选择。');
    throw err;
  }
  if (!buf?.length) throw new AppError(400, 'NO_FILE', '请选择要上传的证书扫描件（表单字段 file）。');
  return { buf, filename: filename.slice(0, 200) };
}

const evidenceRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(fastifyMultipart, { limits: { fileSize: MAX_EVIDENCE_BYTES, files: 1, fields: 2, parts: 3 }, throwFileSizeLimit: true });

  app.post('/api/v1/vendors/:id/evidence', route(['vendor', 'organizer', 'admin'], {
    summary: '上传证书扫描件（multipart 字段 file：PDF 或图片，≤ 5 MB），返回 fileId，供资质证书的 scanFileId 引用',
    consumes: ['multipart/form-data'],
    params: z.object({ id: ObjectIdParam }),
    response: { 201: z.object({ fileId: z.string(), contentType: z.string(), filename: z.string() }) },
  }), async (request, reply) => {
    const vendor = await app.suppliers.managedVendor(requireUser(request), request.params.id);
    const { buf, filename } = await readEvidence(request);
    const stored = await storeEvidence(vendor._id, requireUser(request).id, buf, filename);
    return reply.code(201).send({ fileId: String(stored.fileId), contentType: stored.contentType, filename });
  });

  // The page form posts the file with its CSRF token in the query (a multipart body is read by the handler).
  app.addHook('preValidation', async (request) => {
    const token = (request.query as Record<string, unknown> | undefined)?._csrf;
    if (request.body == null && typeof token === 'string') request.body = { _csrf: token };
  });

  app.post('/vendor/evidence', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendorId = requireUser(request).vendorId;
    if (!vendorId) return reply.redirect('/vendor', 303);
    try {
      const { buf, filename } = await readEvidence(request);
      await storeEvidence(vendorId, requireUser(request).id, buf, filename);
      request.flash('success', `扫描件“${filename}”已上传。请在下方资质证书中选择它，保存后随修改一并提交审核。`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      request.flash('error', err.message);
    }
    return reply.redirect('/vendor/profile#evidence', 303);
  });

  const storeEvidence = (vendor: unknown, uploadedBy: string, buffer: Buffer, filename: string) =>
    storeVendorFile(app, { vendor: String(vendor), buffer, filename, uploadedBy, allowed: ['pdf', 'image'], maxBytes: MAX_EVIDENCE_BYTES, kind: 'evidence' });
};
export default evidenceRoutes;
