/** Batch and objection records as the API and the pages show them (pure). */
import { fieldLabels } from './labels.js';
import { removalReasonNames, type RemovalReason } from './service.js';

type Ref = { kind: 'vendor' | 'product'; creditCode?: string | null; name?: string | null; model?: string | null; vendorName?: string | null; reason?: string | null };

const ref = (r: Ref) => ({
  kind: r.kind, creditCode: r.creditCode ?? '', name: r.name ?? '',
  ...(r.model ? { model: r.model } : {}), ...(r.vendorName ? { vendorName: r.vendorName } : {}),
});

export function presentBatch(b: {
  _id: unknown; number: number; title: string; publishedAt: Date; objectionUntil?: Date | null;
  counts?: { vendors?: number | null; products?: number | null } | null;
  changes?: { added?: Ref[]; removed?: Ref[]; changed?: Array<Ref & { fields?: Array<{ field?: string | null; before?: unknown; after?: unknown }> }> } | null;
}) {
  return {
    id: String(b._id),
    number: b.number,
    title: b.title,
    publishedAt: b.publishedAt,
    objectionUntil: b.objectionUntil ?? null,
    counts: { vendors: b.counts?.vendors ?? 0, products: b.counts?.products ?? 0 },
    changes: {
      added: (b.changes?.added ?? []).map(ref),
      removed: (b.changes?.removed ?? []).map((r) => ({ ...ref(r), reason: (r.reason ?? 'withdrawn') as RemovalReason, reasonName: removalReasonNames[(r.reason ?? 'withdrawn') as RemovalReason] })),
      changed: (b.changes?.changed ?? []).map((c) => ({
        ...ref(c),
        fields: (c.fields ?? []).map((f) => ({ field: f.field ?? '', label: fieldLabels[f.field ?? ''] ?? f.field ?? '', before: f.before ?? null, after: f.after ?? null })),
      })),
    },
  };
}

export function presentObjection(o: {
  _id: unknown; number: number; entry: Ref; reason: string; contact: string; filedAt: Date;
  file?: { fileId?: unknown; contentType?: string | null; filename?: string | null } | null;
  answer?: { text?: string | null; outcome?: string | null; by?: { id?: string | null; name?: string | null } | null; at?: Date | null } | null;
}) {
  const id = String(o._id);
  return {
    id,
    number: o.number,
    entry: ref(o.entry),
    reason: o.reason,
    contact: o.contact,
    ...(o.file?.fileId ? { file: { url: `/api/v1/list-batches/${o.number}/objections/${id}/file`, contentType: o.file.contentType ?? '', filename: o.file.filename ?? '附件' } } : {}),
    filedAt: o.filedAt,
    ...(o.answer?.at ? {
      answer: {
        text: o.answer.text ?? '', outcome: (o.answer.outcome ?? 'dismissed') as 'upheld' | 'dismissed',
        by: { id: o.answer.by?.id ?? '', name: o.answer.by?.name ?? '' }, at: o.answer.at,
      },
    } : {}),
  };
}
