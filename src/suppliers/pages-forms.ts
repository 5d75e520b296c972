/**
 * Helpers for the supplier pages: turning posted forms (flat keys such as "contact.phone" or
 * "specs.3.key") into the shapes VendorInput/ProductInput validate, turning records back into form
 * values, and showing stored values (arrays, specs, codes, dates) in words a person reads.
 */
import { z } from 'zod';
import { certificationName, fieldName, taxonomy } from '../taxonomy/index.js';
import { isoDay, requiredFields, type FieldErrors } from '../web/forms.js';
import { fieldLabels, ProductDetails, VendorInput } from './schemas.js';
import { actionNames, statusNames } from './service.js';

export const categoryNames = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, c.name] as const)));
export const categoryName = (code: string) => categoryNames.get(code) ?? code;

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_ROWS = 60;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const trimmedText = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Flat form keys to nested objects and arrays; keys that could reach a prototype are dropped. */
export function unflatten(body: unknown): Obj {
  const out: Obj = {};
  if (!isObj(body)) return out;
  for (const [key, value] of Object.entries(body)) {
    const parts = key.split('.');
    if (parts.length > 3 || parts.some((p) => p === '' || UNSAFE.has(p))) continue;
    let node = out as Record<string, unknown>;
    let ok = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const isIndex = /^\d+$/.test(parts[i + 1]);
      if (isIndex && Number(parts[i + 1]) >= MAX_ROWS) { ok = false; break; }
      const existing = node[parts[i]];
      if (typeof existing !== 'object' || existing === null) node[parts[i]] = isIndex ? [] : {};
      node = node[parts[i]] as Record<string, unknown>;
    }
    if (ok) node[parts[parts.length - 1]] = value;
  }
  return out;
}

/** The rows of a repeated group the person actually filled in, in order. */
function filledRows(value: unknown, keys: string[]): Obj[] {
  if (!Array.isArray(value)) return [];
  return value.filter((row): row is Obj => isObj(row) && keys.some((k) => trimmedText(row[k]) !== ''));
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/** The posted company form, shaped for VendorInput. */
export function vendorFormInput(body: unknown): Obj {
  const data = unflatten(body);
  const contact = isObj(data.contact) ? data.contact : {};
  return {
    name: data.name,
    creditCode: data.creditCode,
    province: data.province,
    city: data.city,
    district: data.district,
    address: data.address,
    description: data.description,
    website: data.website,
    fields: list(data.fields),
    certifications: list(data.certifications),
    contact: { name: contact.name, phone: contact.phone, email: contact.email },
    qualifications: filledRows(data.qualifications, ['certification', 'number', 'issuer', 'validFrom', 'expiresAt', 'scanFileId']).map((q) => ({
      certification: q.certification, number: q.number, issuer: q.issuer, validFrom: q.validFrom, expiresAt: q.expiresAt, scanFileId: q.scanFileId,
    })),
  };
}

/** "key=value" (or "key：value") per line. */
export function parseSpecLines(text: unknown): Obj[] {
  if (typeof text !== 'string') return [];
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).map((line) => {
    const m = /^([^=:：]*)[=:：](.*)$/.exec(line);
    return m ? { key: m[1].trim(), value: m[2].trim() } : { key: line, value: '' };
  });
}

/** The posted product form, shaped for ProductDetails; specs come from the rows and the pasted lines. */
export function productFormInput(body: unknown): Obj {
  const data = unflatten(body);
  const rows = filledRows(data.specs, ['key', 'value']).map((s) => ({ key: s.key, value: s.value }));
  return {
    name: data.name,
    model: data.model,
    category: typeof data.category === 'string' && data.category ? data.category : undefined,
    description: data.description,
    certifications: list(data.certifications),
    energyGrade: data.energyGrade,
    priceMin: data.priceMin,
    priceMax: data.priceMax,
    capacityPerMonth: data.capacityPerMonth,
    leadTimeDays: data.leadTimeDays,
    specs: [...rows, ...parseSpecLines(data.specsText)],
  };
}

/** The company form of the register page. */
export const VendorRegisterForm = z.preprocess(vendorFormInput, VendorInput);
/** The company form of a registered company: its credit code is fixed, so the form does not post it. */
export const VendorProfileForm = z.preprocess(vendorFormInput, VendorInput.omit({ creditCode: true }));
/** The product form: the product's company (and credit code) is the page's, not the form's. */
export const ProductForm = z.preprocess(productFormInput, ProductDetails);

/** The product's status as the vendor should read it: a rejected submission is back to draft, with a note. */
export function productStatusName(p: { status: string; reviewNote?: string | null; pendingRevision?: unknown }) {
  if (p.status === 'draft' && p.reviewNote) return '已退回';
  if (p.status === 'published' && p.pendingRevision) return '已发布（修改待审核）';
  return statusNames[p.status] ?? p.status;
}


const errorOf = (errors: FieldErrors, key: string) => errors[key];

export interface EvidenceFile { id: string; filename: string; uploadedAt?: Date }

/** The scan a certificate row names: a posted id, or the stored scan of a record. */
const scanIdOf = (q: Obj) => (typeof q.scanFileId === 'string' ? q.scanFileId : isObj(q.scan) && q.scan.fileId ? String(q.scan.fileId) : '');

/** View model of the company form, from a record or from what was posted; `evidence` lists the company's uploaded scans. */
/** The company form's required fields, from its schema (the * marks). */
const vendorRequired = requiredFields(VendorRegisterForm);

export function vendorFormView(values: Obj, errors: FieldErrors = {}, evidence: EvidenceFile[] = []) {
  const contact = isObj(values.contact) ? values.contact : {};
  const fields = list(values.fields);
  const certs = list(values.certifications);
  const quals = Array.isArray(values.qualifications) ? (values.qualifications as Obj[]) : [];
  const rowCount = Math.max(quals.length + 2, 3);
  return {
    required: vendorRequired,
    values: {
      name: values.name, creditCode: values.creditCode, province: values.province ?? '浙江省', city: values.city, district: values.district,
      address: values.address, description: values.description, website: values.website,
      contactName: contact.name, contactPhone: contact.phone, contactEmail: contact.email,
    },
    errors: {
      _form: errors._form, name: errors.name, creditCode: errors.creditCode, province: errors.province, city: errors.city,
      district: errors.district, address: errors.address, description: errors.description, website: errors.website,
      fields: errors.fields ?? firstWithPrefix(errors, 'fields.'), certifications: errors.certifications ?? firstWithPrefix(errors, 'certifications.'),
      contactName: errors['contact.name'], contactPhone: errors['contact.phone'], contactEmail: errors['contact.email'],
      qualifications: errors.qualifications,
    },
    fieldOptions: taxonomy.fields.map((f) => ({ code: f.code, name: f.name, checked: fields.includes(f.code) })),
    certOptions: taxonomy.certifications.map((c) => ({ code: c.code, name: c.name, checked: certs.includes(c.code) })),
    qualificationRows: Array.from({ length: rowCount }, (_, i) => {
      const q = quals[i] ?? {};
      const scan = scanIdOf(q);
      return {
        index: i,
        number: q.number,
        issuer: q.issuer,
        validFrom: isoDay(q.validFrom),
        expiresAt: isoDay(q.expiresAt),
        verified: Boolean(q.verifiedAt),
        options: taxonomy.certifications.map((c) => ({ code: c.code, name: c.name, selected: q.certification === c.code })),
        scanOptions: evidence.map((f) => ({ id: f.id, name: f.filename, selected: f.id === scan })),
        error: ['certification', 'number', 'issuer', 'validFrom', 'expiresAt', 'scanFileId'].map((k) => errorOf(errors, `qualifications.${i}.${k}`)).find(Boolean),
      };
    }),
  };
}

function firstWithPrefix(errors: FieldErrors, prefix: string): string | undefined {
  const key = Object.keys(errors).find((k) => k.startsWith(prefix));
  return key ? errors[key] : undefined;
}

const numText = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** View model of the product form. */
export function productFormView(values: Obj, errors: FieldErrors = {}) {
  const certs = list(values.certifications);
  const specs = Array.isArray(values.specs) ? (values.specs as Obj[]) : [];
  const rowCount = Math.max(specs.length + 3, 10);
  const grade = numText(values.energyGrade);
  return {
    values: {
      name: values.name, model: values.model, description: values.description,
      priceMin: numText(values.priceMin), priceMax: numText(values.priceMax),
      capacityPerMonth: numText(values.capacityPerMonth), leadTimeDays: numText(values.leadTimeDays),
    },
    errors: {
      _form: errors._form, name: errors.name, model: errors.model, category: errors.category, description: errors.description,
      certifications: errors.certifications ?? firstWithPrefix(errors, 'certifications.'), energyGrade: errors.energyGrade,
      priceMin: errors.priceMin, priceMax: errors.priceMax, capacityPerMonth: errors.capacityPerMonth, leadTimeDays: errors.leadTimeDays,
      specs: errors.specs,
    },
    categoryGroups: taxonomy.fields.map((f) => ({
      name: f.name,
      options: f.categories.map((c) => ({ code: c.code, name: c.name, selected: values.category === c.code })),
    })),
    certOptions: taxonomy.certifications.map((c) => ({ code: c.code, name: c.name, checked: certs.includes(c.code) })),
    gradeOptions: ['1', '2', '3', '4', '5'].map((g) => ({ value: g, selected: grade === g })),
    specRows: Array.from({ length: rowCount }, (_, i) => ({
      index: i,
      key: specs[i]?.key,
      value: specs[i]?.value,
      error: errors[`specs.${i}.key`] ?? errors[`specs.${i}.value`],
    })),
  };
}

const join = (items: string[]) => (items.length ? items.join('、') : '—');

/** A stored value as a person reads it: codes become names, lists are joined, dates are days. */
export function displayValue(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value) && value.length === 0) return '—';
  switch (field) {
    case 'category':
      return categoryName(String(value));
    case 'field':
      return fieldName(String(value));
    case 'fields':
      return join(list(value).map(fieldName));
    case 'certifications':
      return join(list(value).map(certificationName));
    case 'specs':
      return Array.isArray(value) ? value.map((s: Obj) => `${trimmedText(s?.key)}：${trimmedText(s?.value)}`).join('；') : '—';
    case 'qualifications':
      return Array.isArray(value)
        ? value.map((q: Obj) => [
          certificationName(String(q?.certification)),
          q?.number ? `编号 ${String(q.number)}` : '',
          q?.issuer ? `发证机构 ${String(q.issuer)}` : '',
          q?.validFrom ? `自 ${isoDay(q.validFrom)}` : '',
          q?.expiresAt ? `有效期至 ${isoDay(q.expiresAt)}` : '',
          scanIdOf(q) ? '附扫描件' : '无扫描件',
        ].filter(Boolean).join(' ')).join('；')
        : '—';
    case 'contact':
      return isObj(value) ? [value.name, value.phone, value.email].filter((v) => typeof v === 'string' && v).join(' ') || '—' : '—';
    case 'images':
      return Array.isArray(value) ? `${value.length} 张图片` : '—';
    case 'confirmedAt':
      return isoDay(value);
    case 'status':
      return statusNames[String(value)] ?? String(value);
    case 'priceMin':
    case 'priceMax':
      return typeof value === 'number' ? `${value.toLocaleString('zh-CN')} 元` : String(value);
    case 'energyGrade':
      return `${String(value)} 级`;
    case 'capacityPerMonth':
      return `${String(value)} 台（套）/月`;
    case 'leadTimeDays':
      return `${String(value)} 天`;
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

export const fieldLabel = (field: string) => fieldLabels[field] ?? field;
export const actionName = (action: string) => actionNames[action] ?? action;

/** One change-log entry as rows for a history table. */
export function historyView(entry: { action: string; at: Date; actor?: { name?: string | null } | null; note?: string | null; changes?: Array<{ field?: string | null; before?: unknown; after?: unknown }> }) {
  return {
    at: entry.at,
    action: actionName(entry.action),
    actor: entry.actor?.name ?? '系统',
    note: entry.note,
    // A field that went from nothing to an empty list changed in storage, not for a reader.
    changes: (entry.changes ?? []).map((c) => ({
      label: fieldLabel(String(c.field)),
      before: displayValue(String(c.field), c.before),
      after: displayValue(String(c.field), c.after),
    })).filter((c) => c.before !== c.after),
  };
}

/** A pending revision as a diff table: label, current value, proposed value. */
export function revisionDiff(product: Obj, changes: Obj) {
  return Object.entries(changes).map(([field, after]) => ({
    label: fieldLabel(field),
    before: displayValue(field, product[field]),
    after: displayValue(field, after),
  }));
}

export { isoDay };
