/**
 * What makes the list dynamic: a vendor confirms its listings at least every `days` days. Past that its
 * listings are stale (badge, ranked lower); past `days + graceDays` they leave search until confirmed.
 * Pure: the clock is an argument.
 */
export type Freshness = 'current' | 'stale' | 'hidden';

export interface FreshnessPolicy {
  days: number;
  graceDays: number;
}

const DAY = 86_400_000;

export function freshnessOf(confirmedAt: Date | null | undefined, now: Date, policy: FreshnessPolicy): Freshness {
  if (!confirmedAt) return 'hidden';
  const age = now.getTime() - confirmedAt.getTime();
  if (age <= policy.days * DAY) return 'current';
  if (age <= (policy.days + policy.graceDays) * DAY) return 'stale';
  return 'hidden';
}

/** When a listing confirmed at `confirmedAt` becomes stale, and when it leaves search. */
export function freshnessDeadlines(confirmedAt: Date, policy: FreshnessPolicy): { staleAt: Date; hiddenAt: Date } {
  return {
    staleAt: new Date(confirmedAt.getTime() + policy.days * DAY),
    hiddenAt: new Date(confirmedAt.getTime() + (policy.days + policy.graceDays) * DAY),
  };
}

/** The oldest confirmation still shown in search at `now` (a filter on the indexed confirmation time). */
export function searchableSince(now: Date, policy: FreshnessPolicy): Date {
  return new Date(now.getTime() - (policy.days + policy.graceDays) * DAY);
}

/**
 * A certification counts only while its certificate (if one is recorded) is in force: not before its
 * validFrom, not after its expiresAt. (Unreviewed claims never reach an approved vendor's record: an
 * approved vendor's edits wait as a pending revision.)
 */
export function effectiveCertifications(
  certifications: readonly string[],
  qualifications: ReadonlyArray<{ certification: string; validFrom?: Date | null; expiresAt?: Date | null }>,
  now: Date,
): string[] {
  const inForce = (q: { validFrom?: Date | null; expiresAt?: Date | null }) =>
    (!q.expiresAt || q.expiresAt.getTime() >= now.getTime()) && (!q.validFrom || q.validFrom.getTime() <= now.getTime());
  const lapsed = new Set(qualifications.filter((q) => !inForce(q)).map((q) => q.certification));
  const valid = new Set(qualifications.filter(inForce).map((q) => q.certification));
  // A code with one certificate in force counts even if an older one expired.
  return certifications.filter((c) => !lapsed.has(c) || valid.has(c));
}
