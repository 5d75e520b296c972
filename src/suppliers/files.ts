/**
 * The vendor file store: every file a vendor uploads (product images, the company logo, certificate
 * scans) lives in the GridFS bucket "uploads" with metadata {vendor, contentType, uploadedBy}. This module
 * is the one way in and out:
 *
 * - `storeVendorFile` checks the file BEFORE anything is stored: its type by content (magic bytes, never
 *   the name), its size, and the vendor's storage quota (VENDOR_STORAGE_QUOTA_MB, all its files in
 *   "uploads"); a refusal is an AppError (415 type, 413 size or quota) with a Chinese message.
 * - `removeFiles` deletes files; `removeUnreferencedFiles` deletes only those no document refers to
 *   any more (see FILE_REFERENCES). GridFS deletes are not transactional, so callers run them after
 *   their transaction has committed; a crash in between leaves an orphan, never a dangling reference.
 */
import { once } from 'node:events';
import { mongo, Types, type Connection } from 'mongoose';
import type { Models } from '../infra/models.js';
import { AppError } from '../web/errors.js';

export const UPLOADS_BUCKET = 'uploads';
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
export const MAX_PDF_BYTES = 10 * 1024 * 1024;
export const DEFAULT_VENDOR_QUOTA_MB = 50;

export type FileKind = 'image' | 'pdf';
export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';
export type StoredType = ImageType | 'application/pdf';

/** What the store needs: a FastifyInstance has all of it (app.conn, app.models, app.config). */
export interface VendorFileDeps {
  conn: Connection;
  models?: Models;
  config?: { VENDOR_STORAGE_QUOTA_MB?: number };
}

/** The image type from its magic bytes, or undefined when it is not a JPEG, PNG or WebP. */
export function sniffImage(buf: Buffer): ImageType | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/**
 * 'application/pdf' when the file is a PDF by content: "%PDF-" and a version at the very start (the
 * PDF standard allows junk before it; we do not, so a PDF cannot be another file's disguise) and an
 * "%%EOF" marker in its last kilobyte.
 */
export function sniffPdf(buf: Buffer): 'application/pdf' | undefined {
  if (buf.length < 16 || !/^%PDF-[12]\.\d/.test(buf.toString('latin1', 0, 8))) return undefined;
  if (!buf.subarray(Math.max(0, buf.length - 1024)).includes('%%EOF')) return undefined;
  return 'application/pdf';
}

/** The stored type of a file of one of the allowed kinds, judged by content; undefined otherwise. */
export function sniffFile(buf: Buffer, allowed: readonly FileKind[]): StoredType | undefined {
  if (allowed.includes('image')) {
    const image = sniffImage(buf);
    if (image) return image;
  }
  if (allowed.includes('pdf')) return sniffPdf(buf);
  return undefined;
}

const kindNames: Record<FileKind, string> = { image: 'JPEG、PNG 或 WebP 格式的图片', pdf: 'PDF 文件' };
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB`;

export function uploadsBucketOf(conn: Connection) {
  return new mongo.GridFSBucket(conn.db!, { bucketName: UPLOADS_BUCKET });
}

const indexed = new WeakSet<object>();
async function filesCollection(conn: Connection) {
  const files = conn.db!.collection(`${UPLOADS_BUCKET}.files`);
  if (!indexed.has(conn)) {
    await files.createIndex({ 'metadata.vendor': 1 });
    indexed.add(conn);
  }
  return files;
}

const oid = (id: Types.ObjectId | string) => (typeof id === 'string' ? new Types.ObjectId(id) : id);

/** Bytes the vendor's files take in "uploads". */
export async function vendorStorageUsed(deps: VendorFileDeps, vendor: Types.ObjectId | string): Promise<number> {
  const files = await filesCollection(deps.conn);
  const [row] = await files.aggregate<{ bytes: number }>([
    { $match: { 'metadata.vendor': oid(vendor) } },
    { $group: { _id: null, bytes: { $sum: '$length' } } },
  ]).toArray();
  return row?.bytes ?? 0;
}

export const quotaBytesOf = (deps: VendorFileDeps) => (deps.config?.VENDOR_STORAGE_QUOTA_MB ?? DEFAULT_VENDOR_QUOTA_MB) * 1024 * 1024;

const quotaError = (used: number, size: number, quota: number) => new AppError(413, 'STORAGE_QUOTA_EXCEEDED',
  `企业存储空间不足：已使用 ${mb(used)}，上限 ${mb(quota)}，本文件 ${mb(size)}。请先删除不再需要的图片或文件后再上传。`);

export interface StoreVendorFileInput {
  vendor: Types.ObjectId | string;
  buffer: Buffer;
  allowed: readonly FileKind[];
  filename: string;
  uploadedBy: string;
  /** Defaults: 2 MB when only images are allowed, else 10 MB. */
  maxBytes?: number;
  /** What the file is for, kept in its metadata (e.g. 'evidence' for certificate scans). */
  kind?: string;
}

export interface StoredVendorFile { fileId: Types.ObjectId; contentType: StoredType; length: number }

/**
 * Checks and stores one vendor file. Refuses (AppError, Chinese message, nothing stored): empty (400),
 * wrong type by content (415), too large (413), over the vendor's quota (413, saying what is used and
 * the limit). Two uploads racing past the quota check are caught by a second count after storing: the
 * later file is removed again and refused.
 */
export async function storeVendorFile(deps: VendorFileDeps, input: StoreVendorFileInput): Promise<StoredVendorFile> {
  const { buffer, allowed } = input;
  if (!buffer.length) throw new AppError(400, 'BAD_REQUEST', '上传的文件是空的，请重新选择。');
  const maxBytes = input.maxBytes ?? (allowed.every((k) => k === 'image') ? MAX_IMAGE_BYTES : MAX_PDF_BYTES);
  if (buffer.length > maxBytes) throw new AppError(413, 'PAYLOAD_TOO_LARGE', `文件不能超过 ${mb(maxBytes)}，请压缩后再上传。`);
  const contentType = sniffFile(buffer, allowed);
  if (!contentType) {
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `只支持${allowed.map((k) => kindNames[k]).join('或')}（按文件内容判断，而非扩展名）。`);
  }
  const vendor = oid(input.vendor);
  const quota = quotaBytesOf(deps);
  const used = await vendorStorageUsed(deps, vendor);
  if (used + buffer.length > quota) throw quotaError(used, buffer.length, quota);

  const upload = uploadsBucketOf(deps.conn).openUploadStream(input.filename.slice(0, 200) || (contentType === 'application/pdf' ? 'file.pdf' : 'image'), {
    metadata: { contentType, vendor, uploadedBy: input.uploadedBy, ...(input.kind ? { kind: input.kind } : {}) },
  });
  upload.end(buffer);
  await once(upload, 'finish');
  const fileId = upload.id as Types.ObjectId;

  const after = await vendorStorageUsed(deps, vendor);
  if (after > quota) {
    await removeFiles(deps, [fileId]);
    throw quotaError(after - buffer.length, buffer.length, quota);
  }
  return { fileId, contentType, length: buffer.length };
}

/** Deletes files from "uploads" (missing ones are skipped). Returns how many were deleted. */
export async function removeFiles(deps: VendorFileDeps, ids: Iterable<Types.ObjectId | string | null | undefined>): Promise<number> {
  const bucket = uploadsBucketOf(deps.conn);
  let removed = 0;
  for (const id of uniqueIds(ids)) {
    try {
      await bucket.delete(id);
      removed++;
    } catch (err) {
      if (!(err instanceof mongo.MongoRuntimeError) && !/not found|FileNotFound/i.test(String((err as Error).message))) throw err;
    }
  }
  return removed;
}

function uniqueIds(ids: Iterable<Types.ObjectId | string | null | undefined>): Types.ObjectId[] {
  const out = new Map<string, Types.ObjectId>();
  for (const id of ids) {
    if (!id || !Types.ObjectId.isValid(String(id))) continue;
    out.set(String(id), oid(id as Types.ObjectId | string));
  }
  return [...out.values()];
}

/**
 * Where documents refer to files in "uploads": [model name, path of the file id]. A feature that keeps
 * file ids somewhere new adds its path here, so cleanup never deletes a file it still shows.
 */
export const FILE_REFERENCES: Array<[keyof Models & string, string]> = [
  ['Product', 'images.fileId'],
  ['Product', 'pendingRevision.changes.images.fileId'],
  ['Vendor', 'logo.fileId'],
  ['Vendor', 'qualifications.scan.fileId'],
  ['Vendor', 'pendingRevision.changes.qualifications.scan.fileId'],
];

/** Of `ids`, those no document refers to (FILE_REFERENCES). */
export async function unreferencedFiles(deps: VendorFileDeps & { models: Models }, ids: Iterable<Types.ObjectId | string | null | undefined>): Promise<Types.ObjectId[]> {
  const candidates = uniqueIds(ids);
  if (!candidates.length) return [];
  const used = new Set<string>();
  for (const [modelName, path] of FILE_REFERENCES) {
    const model = deps.models[modelName] as unknown as { distinct(path: string, filter: object): Promise<unknown[]> };
    for (const id of await model.distinct(path, { [path]: { $in: candidates } })) used.add(String(id));
  }
  return candidates.filter((id) => !used.has(String(id)));
}

/**
 * Deletes the files of `ids` that nothing refers to any more. Call after the transaction that dropped
 * the references has committed. Never throws: a failed delete only leaves an orphan (logged by callers
 * that pass `log`).
 */
export async function removeUnreferencedFiles(
  deps: VendorFileDeps & { models: Models; log?: { warn(obj: object, msg: string): void } },
  ids: Iterable<Types.ObjectId | string | null | undefined>,
): Promise<number> {
  try {
    return await removeFiles(deps, await unreferencedFiles(deps, ids));
  } catch (err) {
    deps.log?.warn({ err }, '未能删除不再使用的上传文件');
    return 0;
  }
}
