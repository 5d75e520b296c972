/**
 * Certificates and their evidence (pure): what a diff compares, and how an organizer's review stamp
 * follows a certificate through edits. A certificate keeps its stamp only while its evidence is unchanged.
 */
import type { Types } from 'mongoose';

export interface Scan { fileId: Types.ObjectId | string; contentType?: string | null; filename?: string | null }

export interface StoredQualification {
  certification: string;
  number?: string | null;
  issuer?: string | null;
  validFrom?: Date | null;
  expiresAt?: Date | null;
  scan?: Scan | null;
  verifiedAt?: Date | null;
  verifiedBy?: { id?: string | null; name?: string | null } | null;
}

const day = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : undefined);

/** A certificate's evidence without its review stamp: the part a person submits and a reviewer compares. */
export function evidenceOf(q: StoredQualification) {
  return {
    certification: q.certification,
    ...(q.number ? { number: q.number } : {}),
    ...(q.issuer ? { issuer: q.issuer } : {}),
    ...(q.validFrom ? { validFrom: day(q.validFrom) } : {}),
    ...(q.expiresAt ? { expiresAt: day(q.expiresAt) } : {}),
    ...(q.scan?.fileId ? { scanFileId: String(q.scan.fileId) } : {}),
  };
}

const keyOf = (q: StoredQualification) => JSON.stringify(evidenceOf(q));

/** The submitted certificates, each keeping the review stamp of an identical one already on record. */
export function carryVerification(next: readonly StoredQualification[], current: readonly StoredQualification[]): StoredQualification[] {
  const stamps = new Map(current.filter((q) => q.verifiedAt).map((q) => [keyOf(q), { verifiedAt: q.verifiedAt, verifiedBy: q.verifiedBy }]));
  return next.map((q) => {
    const { verifiedAt: _a, verifiedBy: _b, ...evidence } = q;
    return { ...evidence, ...(stamps.get(keyOf(q)) ?? {}) };
  });
}

/** Stamps every certificate not yet reviewed: the organizer has seen its evidence and let it in. */
export function stampVerified(list: readonly StoredQualification[], actor: { id: string; name: string }, at: Date): StoredQualification[] {
  return list.map((q) => (q.verifiedAt ? q : { ...q, verifiedAt: at, verifiedBy: { id: actor.id, name: actor.name } }));
}

/** Certification codes claimed without any certificate on file: the reviewer is told. */
export function withoutEvidence(certifications: readonly string[], qualifications: readonly StoredQualification[]): string[] {
  const backed = new Set(qualifications.map((q) => q.certification));
  return certifications.filter((c) => !backed.has(c));
}
