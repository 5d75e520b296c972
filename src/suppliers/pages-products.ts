/**
 * The vendor's product pages: the product form (new and edit, a published product's edits waiting for
 * review), its lifecycle buttons, its history and its images. Everything goes through the supplier service.
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../web/errors.js';
import { formErrors, IdParams, ObjectIdText, requiredFields, serviceFailure, type FieldErrors } from '../web/forms.js';
import { historyView, productFormInput, productFormView, ProductForm, productStatusName, revisionDiff } from './pages-forms.js';
import { changeProductImages, readImageUpload, storeImage, withImageUploads } from './pages-files.js';
import { removeFiles } from './files.js';
import type { SupplierService } from './service.js';
import { requireUser } from '../accounts/index.js';
import { platformDeps } from '../infra/deps.js';

type ManagedProduct = Awaited<ReturnType<SupplierService['managedProduct']>>;

/** What the form should start from: the published values, with the vendor's pending revision over them. */
function productValues(product: ManagedProduct): Record<string, unknown> {
  const values = product.toObject() as unknown as Record<string, unknown>;
  const revision = product.pendingRevision as { changes?: Record<string, unknown> } | undefined;
  return { ...values, ...(revision?.changes ?? {}) };
}

const productPages: FastifyPluginAsyncZod = async (app) => {
  const suppliers = app.suppliers;

  async function renderProductForm(reply: FastifyReply, opts: {
    product?: ManagedProduct;
    values: Record<string, unknown>;
    errors?: FieldErrors;
    status?: number;
    imageError?: string;
  }) {
    const p = opts.product;
    const revision = p?.pendingRevision as { changes: Record<string, unknown>; submittedAt?: Date; submittedBy?: string } | undefined;
    const plain = p ? (p.toObject() as unknown as Record<string, unknown>) : undefined;
    const pendingImages = revision?.changes.images as Array<{ fileId: unknown }> | undefined;
    const images = (pendingImages ?? p?.images ?? []).map((img) => ({ id: String(img.fileId) }));
    return reply.code(opts.status ?? 200).page('suppliers/product-form.hbs', {
      title: p ? `编辑产品 · ${p.name}` : '新增产品',
      required: requiredFields(ProductForm),
      product: p && {
        id: String(p._id),
        name: p.name,
        statusName: productStatusName(p),
        isPublished: p.status === 'published',
        reviewNote: p.reviewNote,
        canSubmit: p.status === 'draft',
      },
      action: p ? `/vendor/products/${String(p._id)}` : '/vendor/products',
      revision: revision && plain && {
        submittedAt: revision.submittedAt,
        diff: revisionDiff(plain, revision.changes),
      },
      images,
      // Multipart bodies are read after the CSRF check, so the upload form carries its token in the URL.
      uploadAction: p ? `/vendor/products/${String(p._id)}/images?_csrf=${encodeURIComponent(await reply.generateCsrf())}` : undefined,
      imagesPending: Boolean(pendingImages),
      imageError: opts.imageError,
      ...productFormView(opts.values, opts.errors ?? {}),
    });
  }

  app.get('/vendor/products/new', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await suppliers.vendorOf(requireUser(request));
    if (!vendor) return reply.redirect('/vendor', 303);
    return renderProductForm(reply, { values: {} });
  });

  app.post('/vendor/products', { config: { access: ['vendor'] }, schema: { body: ProductForm }, attachValidation: true }, async (request, reply) => {
    const vendor = await suppliers.vendorOf(requireUser(request));
    if (!vendor) return reply.redirect('/vendor', 303);
    const errors = formErrors(request);
    if (errors) return renderProductForm(reply, { values: productFormInput(request.body), errors, status: 400 });
    let created;
    try {
      created = await suppliers.createProduct(requireUser(request), { ...request.body, vendorCreditCode: vendor.creditCode });
    } catch (err) {
      const failure = serviceFailure(err);
      return renderProductForm(reply, { values: request.body, errors: failure.errors, status: failure.status });
    }
    request.flash('success', `产品“${created.name}”已保存为草稿，可上传图片后提交审核。`);
    return reply.redirect(`/vendor/products/${String(created._id)}/edit`, 303);
  });

  app.get('/vendor/products/:id/edit', { config: { access: ['vendor'] }, schema: { params: IdParams } }, async (request, reply) => {
    const product = await suppliers.managedProduct(requireUser(request), request.params.id);
    return renderProductForm(reply, { product, values: productValues(product) });
  });

  app.post('/vendor/products/:id', {
    config: { access: ['vendor'] }, schema: { params: IdParams, body: ProductForm }, attachValidation: true,
  }, async (request, reply) => {
    const errors = formErrors(request);
    const product = await suppliers.managedProduct(requireUser(request), request.params.id);
    if (errors) return renderProductForm(reply, { product, values: productFormInput(request.body), errors, status: 400 });
    let result;
    try {
      result = await suppliers.updateProduct(requireUser(request), String(product._id), { ...request.body, vendorCreditCode: product.vendorCreditCode });
    } catch (err) {
      const failure = serviceFailure(err);
      return renderProductForm(reply, { product, values: request.body, errors: failure.errors, status: failure.status });
    }
    request.flash('success', result.pending ? '修改已提交，将在主办方审核后生效。' : '产品已保存。');
    return reply.redirect(`/vendor/products/${String(product._id)}/edit`, 303);
  });

  const productAction = (action: 'submit' | 'archive' | 'restore', done: string) =>
    app.post(`/vendor/products/:id/${action}`, { config: { access: ['vendor'] }, schema: { params: IdParams } }, async (request, reply) => {
      const run = { submit: suppliers.submitProduct, archive: suppliers.archiveProduct, restore: suppliers.restoreProduct }[action];
      try {
        const product = await run(requireUser(request), request.params.id);
        request.flash('success', `产品“${product.name}”${done}`);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500 || err.statusCode === 404) throw err;
        request.flash('error', err.message);
      }
      return reply.redirect('/vendor', 303);
    });
  productAction('submit', '已提交审核。');
  productAction('archive', '已归档，不再对外展示。');
  productAction('restore', '已恢复为草稿。');

  app.get('/vendor/products/:id/history', { config: { access: ['vendor'] }, schema: { params: IdParams } }, async (request, reply) => {
    const product = await suppliers.managedProduct(requireUser(request), request.params.id);
    const entries = await suppliers.productHistory(product._id);
    return reply.page('suppliers/history.hbs', {
      title: `变更记录 · ${product.name}`,
      heading: `${product.name}（${product.model}）· 变更记录`,
      back: `/vendor/products/${String(product._id)}/edit`,
      entries: entries.map(historyView),
    });
  });

  const images = { ...platformDeps(app), config: app.config, suppliers: app.suppliers };
  await withImageUploads(app, async (uploads) => {
    uploads.post('/vendor/products/:id/images', { config: { access: ['vendor'] }, schema: { params: IdParams } }, async (request, reply) => {
      const product = await suppliers.managedProduct(requireUser(request), request.params.id);
      const fail = (status: number, imageError: string) =>
        renderProductForm(reply, { product, values: productValues(product), imageError, status });
      const upload = await readImageUpload(request);
      if (!upload.ok) return fail(upload.status, upload.message);
      const stored = await storeImage(images, upload.buf, { vendor: product.vendor, uploadedBy: requireUser(request).id, filename: upload.filename });
      if (!stored.ok) return fail(stored.status, stored.message);
      const { fileId, type } = stored;
      let result;
      try {
        result = await changeProductImages(images, requireUser(request), String(product._id), (images) => [...images, { fileId, contentType: type }]);
      } catch (err) {
        await removeFiles(app, [fileId]);
        const failure = serviceFailure(err);
        return fail(failure.status, failure.errors._form ?? '上传失败。');
      }
      request.flash('success', result.pending ? '图片已上传，将在主办方审核后展示。' : '图片已上传。');
      return reply.redirect(`/vendor/products/${String(product._id)}/edit`, 303);
    });
  });

  app.post('/vendor/products/:id/images/:fileId/delete', {
    config: { access: ['vendor'] }, schema: { params: z.object({ id: ObjectIdText, fileId: ObjectIdText }) },
  }, async (request, reply) => {
    const { id, fileId } = request.params;
    const result = await changeProductImages(images, requireUser(request), id, (images) => images.filter((i) => String(i.fileId) !== fileId));
    request.flash('success', result.pending ? '删除图片的修改将在主办方审核后生效。' : '图片已删除。');
    return reply.redirect(`/vendor/products/${id}/edit`, 303);
  });
};

export default productPages;
