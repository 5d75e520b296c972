/**
 * Files with an owner: every vendor upload is checked by content and size and counted against the
 * vendor's storage quota before it is stored; images dropped from a product (deleted, replaced by an
 * approved revision, or only in a rejected revision) and replaced or removed logos leave GridFS, while
 * files still shown anywhere stay. The vendor file store API (storeVendorFile, sniffPdf, removeFiles).
 */
import t from 'tap';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { Types } from 'mongoose';
import { buildTestApp, createUser, login } from '../helper.js';
import { approvedVendor, csrfOf, postForm, productDoc } from './pages-support.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { removeFiles, sniffPdf, storeVendorFile, vendorStorageUsed } from '../../src/suppliers/files.js';
import { AppError } from '../../src/web/errors.js';

/** A real 1×1 PNG, padded with `pad` bytes after its end (a bigger file of the same type). */
function png(pad = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((zlib as unknown as { crc32(d: Buffer): number }).crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  const idat = zlib.deflateSync(Buffer.from([0, 255, 0, 0]));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0)), Buffer.alloc(pad, 1)]);
}

const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

function multipart(field: string, filename: string, content: Buffer) {
  const boundary = '----files' + Math.random().toString(16).slice(2);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`);
  return { payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function send(app: FastifyInstance, cookie: string, url: string, content: Buffer) {
  const body = multipart('image', 'photo.png', content);
  const token = encodeURIComponent(await csrfOf(app, cookie));
  return app.inject({ method: 'POST', url: `${url}?_csrf=${token}`, headers: { cookie, 'content-type': body.contentType }, payload: body.payload });
}

const fileIds = async (app: FastifyInstance) => (await app.conn.db!.collection('uploads.files').find({}, { projection: { _id: 1 } }).toArray()).map((f) => String(f._id)).sort();
const imagesOf = async (app: FastifyInstance, id: string) => {
  const p = await app.models.Product.findById(id).lean();
  return {
    live: (p?.images ?? []).map((i) => String(i.fileId)),
    pending: ((p?.pendingRevision?.changes as { images?: Array<{ fileId: unknown }> } | undefined)?.images ?? []).map((i) => String(i.fileId)),
  };
};

t.test('VENDOR_STORAGE_QUOTA_MB: default 50, validated at start', async (t) => {
  t.equal(loadConfig({}).VENDOR_STORAGE_QUOTA_MB, 50);
  t.equal(loadConfig({ VENDOR_STORAGE_QUOTA_MB: '200' }).VENDOR_STORAGE_QUOTA_MB, 200);
  for (const bad of ['0', '-5', 'abc', '1.5']) {
    let error: unknown;
    try {
      loadConfig({ VENDOR_STORAGE_QUOTA_MB: bad });
    } catch (err) {
      error = err;
    }
    t.ok(error instanceof ConfigError, `${bad} is refused`);
    t.match((error as Error | undefined)?.message, /VENDOR_STORAGE_QUOTA_MB/, 'naming the variable');
  }
});

t.test('uploads past the vendor quota are refused with what is used and the limit, and not stored', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000', VENDOR_STORAGE_QUOTA_MB: '1' }, { background: false });
  const vendor = await app.models.Vendor.create(approvedVendor('配额测试科技有限公司', 31));
  const other = await app.models.Vendor.create(approvedVendor('另一家测试有限公司', 32));
  const product = await app.models.Product.create(productDoc(vendor, '摄像机', 'Q-1'));
  const otherProduct = await app.models.Product.create(productDoc(other, '摄像机', 'Q-2'));
  const owner = await createUser(app, 'vendor', { vendor: vendor._id });
  const cookie = await login(app, owner.email, owner.password);
  const otherOwner = await createUser(app, 'vendor', { vendor: other._id });
  const otherCookie = await login(app, otherOwner.email, otherOwner.password);
  const url = `/vendor/products/${String(product._id)}/images`;

  t.equal((await send(app, cookie, url, png(600 * 1024))).statusCode, 303, 'a 600 KB image fits in 1 MB');
  const full = await send(app, cookie, url, png(600 * 1024));
  t.equal(full.statusCode, 413, 'the second one does not');
  t.match(full.body, /企业存储空间不足：已使用 0\.6 MB，上限 1 MB/, 'the page says how much is used and the limit');
  t.equal((await fileIds(app)).length, 1, 'the refused image was not stored');
  t.equal((await imagesOf(app, String(product._id))).live.length, 1);

  const logo = await send(app, cookie, '/vendor/logo', png(500 * 1024));
  t.equal(logo.statusCode, 413, 'the logo counts against the same quota');
  t.match(logo.body, /已使用 0\.6 MB，上限 1 MB/);
  t.notOk((await app.models.Vendor.findById(vendor._id).lean())?.logo);

  t.equal((await send(app, otherCookie, `/vendor/products/${String(otherProduct._id)}/images`, png(600 * 1024))).statusCode, 303, 'another vendor has its own quota');
  t.equal(await vendorStorageUsed(app, vendor._id), 600 * 1024 + png().length);

  // Deleting frees the space: the file leaves GridFS.
  const [first] = (await imagesOf(app, String(product._id))).live;
  t.equal((await postForm(app, `${url}/${first}/delete`, cookie)).statusCode, 303);
  t.equal(await vendorStorageUsed(app, vendor._id), 0, 'the deleted image no longer counts');
  t.equal((await send(app, cookie, url, png(600 * 1024))).statusCode, 303, 'so a new one fits');

  // The JSON-style refusal of the store itself.
  const err = await storeVendorFile(app, { vendor: vendor._id, buffer: png(600 * 1024), allowed: ['image'], filename: 'x.png', uploadedBy: owner.id }).catch((e: unknown) => e);
  t.ok(err instanceof AppError);
  t.match(err, { statusCode: 413, code: 'STORAGE_QUOTA_EXCEEDED', message: /已使用 0\.6 MB，上限 1 MB，本文件 0\.6 MB/ });
});

t.test('dropped images and logos leave GridFS once nothing shows them; pending ones wait for the review', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  const vendor = await app.models.Vendor.create(approvedVendor('清理测试科技有限公司', 33));
  const product = await app.models.Product.create(productDoc(vendor, '球机', 'C-1'));
  const id = String(product._id);
  const owner = await createUser(app, 'vendor', { vendor: vendor._id });
  const cookie = await login(app, owner.email, owner.password);
  const organizer = await createUser(app, 'organizer');
  const staff = await login(app, organizer.email, organizer.password);
  const url = `/vendor/products/${id}/images`;

  // A draft product: changes apply at once, a deleted image is gone.
  await send(app, cookie, url, png(10));
  await send(app, cookie, url, png(20));
  const [a, b] = (await imagesOf(app, id)).live;
  await postForm(app, `${url}/${b}/delete`, cookie);
  t.same(await fileIds(app), [a], 'the deleted draft image left GridFS');

  // Published: a new image waits in the revision; rejecting the revision deletes it, the live one stays.
  await app.models.Product.updateOne({ _id: id }, { $set: { status: 'published' } });
  await send(app, cookie, url, png(30));
  const c = (await imagesOf(app, id)).pending.find((x) => x !== a)!;
  t.same(await fileIds(app), [a, c].sort(), 'a pending image is stored');
  const rejected = await app.inject({ method: 'POST', url: `/api/v1/products/${id}/revision/reject`, headers: { cookie: staff }, payload: { reason: '图片不清晰' } });
  t.equal(rejected.statusCode, 200, rejected.body);
  t.same(await fileIds(app), [a], 'rejected: the image only the revision used is deleted, the live one stays');
  t.equal((await app.inject({ method: 'GET', url: `/files/${a}` })).statusCode, 200, 'and is still served');

  // Removing the live image and adding another waits for review; until then both stay.
  await send(app, cookie, url, png(40));
  const d = (await imagesOf(app, id)).pending.find((x) => x !== a)!;
  await postForm(app, `${url}/${a}/delete`, cookie);
  t.same(await imagesOf(app, id), { live: [a], pending: [d] });
  t.same(await fileIds(app), [a, d].sort(), 'a removal pending review deletes nothing');
  const approved = await app.inject({ method: 'POST', url: `/api/v1/products/${id}/revision/approve`, headers: { cookie: staff }, payload: {} });
  t.equal(approved.statusCode, 200, approved.body);
  t.same(await imagesOf(app, id), { live: [d], pending: [] });
  t.same(await fileIds(app), [d], 'approved: the image the product no longer uses is deleted');
  t.equal((await app.inject({ method: 'GET', url: `/files/${a}` })).statusCode, 404);

  // A revision that only edits text deletes nothing on approval.
  await app.models.Product.updateOne({ _id: id }, { $set: { pendingRevision: { changes: { name: '球机（新款）' }, submittedBy: '测试', submittedAt: new Date() } } });
  const textOnly = await app.inject({ method: 'POST', url: `/api/v1/products/${id}/revision/approve`, headers: { cookie: staff }, payload: {} });
  t.equal(textOnly.statusCode, 200, textOnly.body);
  t.same(await fileIds(app), [d], 'a text-only revision keeps the images');

  // Logos: replacing deletes the old one, removing deletes the last.
  t.equal((await send(app, cookie, '/vendor/logo', png(50))).statusCode, 303);
  const logo1 = String((await app.models.Vendor.findById(vendor._id).lean())!.logo!.fileId);
  t.equal((await send(app, cookie, '/vendor/logo', png(60))).statusCode, 303);
  const logo2 = String((await app.models.Vendor.findById(vendor._id).lean())!.logo!.fileId);
  t.not(logo1, logo2);
  t.same(await fileIds(app), [d, logo2].sort(), 'the replaced logo left GridFS');
  await postForm(app, '/vendor/logo/delete', cookie, {});
  t.same(await fileIds(app), [d], 'the removed logo too');
});

t.test('the vendor file store: PDF and image by content, size limits, removal', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const vendor = new Types.ObjectId();
  t.equal(sniffPdf(pdf), 'application/pdf');
  t.equal(sniffPdf(Buffer.from('%PDF-1.7 but cut off, no end marker')), undefined);
  t.equal(sniffPdf(Buffer.from('这不是 PDF %PDF-1.4 %%EOF')), undefined, 'the magic must come first');
  t.equal(sniffPdf(png()), undefined);

  const scan = await storeVendorFile(app, { vendor, buffer: pdf, allowed: ['image', 'pdf'], filename: '营业执照.pdf', uploadedBy: 'u1' });
  t.equal(scan.contentType, 'application/pdf');
  const photo = await storeVendorFile(app, { vendor: String(vendor), buffer: png(), allowed: ['image', 'pdf'], filename: 'cert.png', uploadedBy: 'u1' });
  t.equal(photo.contentType, 'image/png');
  const meta = await app.conn.db!.collection('uploads.files').findOne({ _id: scan.fileId });
  t.match(meta, { filename: '营业执照.pdf', length: pdf.length, metadata: { contentType: 'application/pdf', uploadedBy: 'u1' } });
  t.equal(String(meta!.metadata.vendor), String(vendor), 'the file carries its owner');

  const refuse = async (input: Partial<Parameters<typeof storeVendorFile>[1]>, status: number, message: RegExp) => {
    const err = await storeVendorFile(app, { vendor, buffer: pdf, allowed: ['pdf'], filename: 'f', uploadedBy: 'u1', ...input }).catch((e: unknown) => e);
    t.match(err, { statusCode: status, message }, `${status} ${message}`);
  };
  await refuse({ buffer: Buffer.from('改了扩展名的文本'), filename: 'x.pdf' }, 415, /只支持PDF 文件（按文件内容判断/);
  await refuse({ buffer: png(), allowed: ['pdf'] }, 415, /只支持PDF 文件/);
  await refuse({ buffer: pdf, allowed: ['image'] }, 415, /只支持JPEG、PNG 或 WebP 格式的图片/);
  await refuse({ buffer: png(2 * 1024 * 1024), allowed: ['image'] }, 413, /不能超过 2 MB/);
  await refuse({ buffer: Buffer.alloc(0) }, 400, /空/);
  t.equal((await fileIds(app)).length, 2, 'nothing refused was stored');

  t.equal(await removeFiles(app, [scan.fileId, String(photo.fileId), null, 'not-an-id', new Types.ObjectId()]), 2, 'removes what exists, skips the rest');
  t.same(await fileIds(app), []);
});
