/**
 * Pair weights. A pair is one buyer and one vendor; its weight comes from both sides' wishes:
 *
 *   mutual must (70) > one-sided must (30..50) > mutual want (22) > one-sided want (10..12)
 *
 * and a buyer's wish weighs more than the same wish from a vendor (buyers came to buy). The numbers are
 * additive (buyer part + vendor part) so an organizer can be told why a pair weighs what it does.
 * A "no" from either side is a veto: the pair is never scheduled.
 */
import type { WishLevel } from './types.js';

export const wishWeights = {
  buyer: { must: 40, want: 12 },
  vendor: { must: 30, want: 10 },
} as const;

export type Level = WishLevel | 'none';

/** Weight of a pair from the buyer's wish towards the vendor and the vendor's towards the buyer; null = veto. */
export function pairWeight(buyerLevel: Level, vendorLevel: Level): number | null {
  if (buyerLevel === 'no' || vendorLevel === 'no') return null;
  const part = (side: 'buyer' | 'vendor', level: Level) => (level === 'must' || level === 'want' ? wishWeights[side][level] : 0);
  return part('buyer', buyerLevel) + part('vendor', vendorLevel);
}

/** The class a pair falls in, for explanations and tests. */
export function pairClass(buyerLevel: Level, vendorLevel: Level): 'veto' | 'mutual-must' | 'one-sided-must' | 'mutual-want' | 'one-sided-want' | 'none' {
  if (buyerLevel === 'no' || vendorLevel === 'no') return 'veto';
  if (buyerLevel === 'must' && vendorLevel === 'must') return 'mutual-must';
  if (buyerLevel === 'must' || vendorLevel === 'must') return 'one-sided-must';
  if (buyerLevel === 'want' && vendorLevel === 'want') return 'mutual-want';
  if (buyerLevel === 'want' || vendorLevel === 'want') return 'one-sided-want';
  return 'none';
}
