/**
 * 推介手册: a printable booklet of vendors — of one batch, of one field (live list), or of the vendors of one
 * 对接会 — with a cover, a table of contents and one A4 page per vendor (profile, verified certifications,
 * products with their key figures and images, and a QR code to its live listing). The print stylesheet
 * (public/css/list-batches.css) does the layout; the browser's print-to-PDF gives the PDF.
 */
import QRCode from 'qrcode';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAFF_ROLES } from '../accounts/index.js';
import { fieldCodes } from '../taxonomy/index.js';
import { notFound } from '../web/errors.js';
import { IdParams } from '../web/forms.js';
import type { ProductEntry, VendorEntry } from './diff.js';
import { categoryName, certificationName, fieldName, priceText } from './labels.js';
import { NumberParams } from './schemas.js';

/** The QR code of a link as an SVG data: URI (allowed by the CSP's img-src; no markup is injected into the page). */
export async function qrDataUri(url: string): Promise<string> {
  const svg = await QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

const FieldParams = z.object({ field: z.enum(fieldCodes as [string, ...string[]], '没有这个领域') });

const bookletPages: FastifyPluginAsyncZod = async (app) => {
  const service = app.listBatches;
  const baseOf = (request: FastifyRequest) => (app.config.PUBLIC_BASE_URL ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');

  async function render(request: FastifyRequest, reply: FastifyReply, cover: { title: string; subtitle: string; date: Date; back: string },
    entries: Array<{ vendor: VendorEntry; products: ProductEntry[] }>) {
    const base = baseOf(request);
    const vendors = await Promise.all(entries.map(async ({ vendor, products }, i) => {
      const url = vendor.vendorId ? `${base}/directory/vendors/${vendor.vendorId}` : `${base}/directory`;
      return {
        ...vendor,
        index: i + 1,
        anchor: `v-${i + 1}`,
        url,
        qr: await qrDataUri(url),
        location: [vendor.province, vendor.city, vendor.district].filter(Boolean).join(' '),
        fieldNames: (vendor.fields ?? []).map(fieldName),
        certificationNames: (vendor.certifications ?? []).map(certificationName),
        products: products.map((p) => ({
          ...p,
          categoryName: categoryName(p.category),
          certificationNames: (p.certifications ?? []).map(certificationName).join('、'),
          price: priceText(p.priceMin, p.priceMax),
          image: p.images?.[0] ? `/files/${p.images[0]}` : undefined,
        })),
        productCount: products.length,
      };
    }));
    return reply.page('list-batches/booklet.hbs', {
      title: cover.title,
      cover: { ...cover, vendors: vendors.length, products: vendors.reduce((n, v) => n + v.productCount, 0) },
      vendors,
    });
  }

  app.get('/list-batches/:number/booklet', { config: { access: 'public' }, schema: { params: NumberParams } }, async (request, reply) => {
    const batch = await service.get(request.params.number);
    return render(request, reply, { title: `推介手册 · 第 ${batch.number} 批`, subtitle: batch.title, date: batch.publishedAt, back: `/list-batches/${batch.number}` },
      await service.entries(batch.number));
  });

  app.get('/booklet/fields/:field', { config: { access: 'public' }, schema: { params: FieldParams } }, async (request, reply) => {
    const field = request.params.field;
    const snapshot = await service.liveSnapshot({ field });
    return render(request, reply, { title: `推介手册 · ${fieldName(field)}`, subtitle: `滨江区设备更新供应商推介清单 · ${fieldName(field)}领域`, date: app.clock(), back: '/list-batches' },
      groupProducts(snapshot.vendors, snapshot.products));
  });

  app.get('/booklet/events/:id', { config: { access: [...STAFF_ROLES] }, schema: { params: IdParams } }, async (request, reply) => {
    const event = await app.models.Event.findById(request.params.id).lean();
    if (!event) throw notFound('没有这个对接会。');
    const participants = await app.models.EventParticipant.find({ event: event._id, kind: 'vendor', status: 'approved' }).lean();
    const snapshot = await service.liveSnapshot({ vendorIds: participants.map((p) => String(p.vendor)).filter((id) => /^[0-9a-f]{24}$/i.test(id)) });
    return render(request, reply, { title: `推介手册 · ${event.title}`, subtitle: `${event.title} 参会供应商`, date: app.clock(), back: `/organizer/events/${String(event._id)}` },
      groupProducts(snapshot.vendors, snapshot.products));
  });
};

function groupProducts(vendors: VendorEntry[], products: ProductEntry[]) {
  return vendors
    .map((vendor) => ({ vendor, products: products.filter((p) => p.vendorCreditCode === vendor.creditCode) }))
    .sort((a, b) => a.vendor.name.localeCompare(b.vendor.name, 'zh-CN'));
}
export default bookletPages;
