/**
 * Product images through the edit page: type checked by content, size limited, stored in GridFS and
 * served with the right headers to the right people.
 */
import t from 'tap';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createUser, login } from '../helper.js';
import { approvedVendor, csrfOf, getPage, postForm, productDoc } from './pages-support.js';

/** A real 1×1 PNG. */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  const idat = zlib.deflateSync(Buffer.from([0, 255, 0, 0]));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

function multipart(filename: string, contentType: string, content: Buffer) {
  const boundary = '----wbtest' + Math.random().toString(16).slice(2);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(app: FastifyInstance, cookie: string, productId: string, filename: string, type: string, content: Buffer, withToken = true) {
  const body = multipart(filename, type, content);
  const token = withToken ? `?_csrf=${encodeURIComponent(await csrfOf(app, cookie))}` : '';
  return app.inject({ method: 'POST', url: `/vendor/products/${productId}/images${token}`, headers: { cookie, 'content-type': body.contentType }, payload: body.payload });
}

t.test('image upload checks type by content and size, stores the image and serves it to the right people', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  const vendor = await app.models.Vendor.create(approvedVendor('戊视觉科技有限公司', 11));
  const other = await app.models.Vendor.create(approvedVendor('己安防有限公司', 12));
  const product = await app.models.Product.create(productDoc(vendor, '全景网络摄像机', 'WB-PANO-1'));
  const id = String(product._id);
  const owner = await createUser(app, 'vendor', { vendor: vendor._id });
  const stranger = await createUser(app, 'vendor', { vendor: other._id });
  const cookie = await login(app, owner.email, owner.password);
  const strangerCookie = await login(app, stranger.email, stranger.password);

  const fake = await upload(app, cookie, id, 'photo.png', 'image/png', Buffer.from('这不是图片，只是改了扩展名的文本文件。\n'));
  t.equal(fake.statusCode, 415, 'a text file named .png is refused');
  t.match(fake.body, /id="e-image" role="alert">只支持 JPEG、PNG 或 WebP 格式的图片/, 'with the reason next to the upload field');

  const big = Buffer.alloc(3 * 1024 * 1024, 0);
  tinyPng().copy(big);
  const tooBig = await upload(app, cookie, id, 'big.png', 'image/png', big);
  t.equal(tooBig.statusCode, 413, 'a 3 MB file is refused');
  t.match(tooBig.body, '图片不能超过 2 MB');

  const noToken = await upload(app, cookie, id, 'ok.png', 'image/png', tinyPng(), false);
  t.equal(noToken.statusCode, 403, 'an upload without the form’s token is refused');

  const notMine = await upload(app, strangerCookie, id, 'x.png', 'image/png', tinyPng());
  t.equal(notMine.statusCode, 404, 'another vendor cannot add images to the product');

  t.equal(await app.conn.db!.collection('uploads.files').countDocuments(), 0, 'nothing refused was stored');
  t.equal((await app.models.Product.findById(id).lean())?.images.length, 0);

  const png = tinyPng();
  const ok = await upload(app, cookie, id, 'camera.png', 'image/png', png);
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, `/vendor/products/${id}/edit`);
  const stored = await app.models.Product.findById(id).lean();
  t.equal(stored?.images.length, 1);
  const fileId = String(stored!.images[0].fileId);
  t.match((await getPage(app, `/vendor/products/${id}/edit`, cookie)).body, `src="/files/${fileId}"`, 'the edit page shows the image');

  const mine = await getPage(app, `/files/${fileId}`, cookie);
  t.equal(mine.statusCode, 200);
  t.equal(mine.headers['content-type'], 'image/png');
  t.ok(mine.rawPayload.equals(png), 'the stored bytes come back unchanged');
  t.match(String(mine.headers['cache-control']), /private/, 'an unpublished product’s image is not cached publicly');
  t.equal((await getPage(app, `/files/${fileId}`)).statusCode, 404, 'a guest cannot see an unpublished product’s image');
  t.equal((await getPage(app, `/files/${fileId}`, strangerCookie)).statusCode, 404, 'nor can another vendor');
  t.equal((await getPage(app, '/files/000000000000000000000000')).statusCode, 404);

  await app.models.Product.updateOne({ _id: id }, { $set: { status: 'published' } });
  const pub = await getPage(app, `/files/${fileId}`);
  t.equal(pub.statusCode, 200, 'once published, anyone sees the image');
  t.match(String(pub.headers['cache-control']), /public, max-age=\d+/);
  const again = await app.inject({ method: 'GET', url: `/files/${fileId}`, headers: { 'if-none-match': String(pub.headers.etag) } });
  t.equal(again.statusCode, 304, 'a cached copy is revalidated cheaply');

  // On a published product a new image waits for review like any other edit.
  const second = await upload(app, cookie, id, 'second.png', 'image/png', tinyPng());
  t.equal(second.statusCode, 303);
  const after = await app.models.Product.findById(id).lean();
  t.equal(after?.images.length, 1, 'the public still sees one image');
  t.equal((after?.pendingRevision?.changes as { images: unknown[] }).images.length, 2, 'the pending revision has two');
  const organizer = await createUser(app, 'organizer');
  await app.suppliers.approveRevision({ id: organizer.id, email: organizer.email, name: '主办', role: 'organizer' }, id);
  t.equal((await app.models.Product.findById(id).lean())?.images.length, 2, 'approved: both images are public');

  const removed = await postForm(app, `/vendor/products/${id}/images/${fileId}/delete`, cookie);
  t.equal(removed.statusCode, 303);
  const afterDelete = await app.models.Product.findById(id).lean();
  t.equal(afterDelete?.images.length, 2, 'removing an image from a published product also waits for review');
  t.same((afterDelete?.pendingRevision?.changes as { images: Array<{ fileId: unknown }> }).images.map((i) => String(i.fileId)).includes(fileId), false);
  t.match((await getPage(app, '/organizer/review', await login(app, organizer.email, organizer.password))).body, /图片<\/th><td class="wb-before">2 张图片<\/td><td class="wb-after">1 张图片/, 'the organizer sees the image change in the diff');
});

t.test('the company logo: checked like images, shown on the profile and, once approved, in the directory', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  const vendor = await app.models.Vendor.create({ ...approvedVendor('庚智能装备有限公司', 13), status: 'submitted' });
  const owner = await createUser(app, 'vendor', { vendor: vendor._id });
  const cookie = await login(app, owner.email, owner.password);
  const send = async (content: Buffer) => {
    const body = multipart('logo.png', 'image/png', content);
    const token = encodeURIComponent(await csrfOf(app, cookie));
    return app.inject({ method: 'POST', url: `/vendor/logo?_csrf=${token}`, headers: { cookie, 'content-type': body.contentType }, payload: body.payload });
  };

  const fake = await send(Buffer.from('不是图片'));
  t.equal(fake.statusCode, 415);
  t.match(fake.body, /id="e-logo" role="alert">只支持 JPEG、PNG 或 WebP/);
  t.notOk((await app.models.Vendor.findById(vendor._id).lean())?.logo?.fileId, 'nothing stored');

  const noToken = multipart('logo.png', 'image/png', tinyPng());
  const refused = await app.inject({ method: 'POST', url: '/vendor/logo', headers: { cookie, 'content-type': noToken.contentType }, payload: noToken.payload });
  t.equal(refused.statusCode, 403, 'an upload without its CSRF token is refused');

  const ok = await send(tinyPng());
  t.equal(ok.statusCode, 303);
  const logo = (await app.models.Vendor.findById(vendor._id).lean())?.logo;
  t.ok(logo?.fileId, 'stored');
  const url = `/files/${String(logo!.fileId)}`;
  t.match((await getPage(app, '/vendor/profile', cookie)).body, url, 'shown on the profile');
  t.equal((await app.inject({ method: 'GET', url })).statusCode, 404, 'not public while the vendor is not approved');
  t.ok(await app.models.ChangeLog.exists({ entityId: vendor._id, 'changes.field': 'logo' }), 'the change is recorded');

  await app.models.Vendor.updateOne({ _id: vendor._id }, { $set: { status: 'approved' } });
  const served = await app.inject({ method: 'GET', url });
  t.equal(served.statusCode, 200);
  t.same(served.rawPayload, tinyPng(), 'served as uploaded');
  t.match((await app.inject({ method: 'GET', url: `/directory/vendors/${String(vendor._id)}` })).body, url, 'shown on the directory page');

  const removed = await postForm(app, '/vendor/logo/delete', cookie, {});
  t.equal(removed.statusCode, 303);
  t.notOk((await app.models.Vendor.findById(vendor._id).lean())?.logo?.fileId, 'removed');
});
