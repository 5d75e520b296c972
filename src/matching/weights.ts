/**
 * How much each factor counts in a match score. Defaults here; a deployment overrides some or all with
 * MATCH_WEIGHTS, a JSON object of factor → non-negative number (e.g. {"locality":0.3}).
 */
import { z } from 'zod';
import type { Factor } from './types.js';

export type Weights = Record<Factor, number>;

export const factors: readonly Factor[] = [
  'text', 'locality', 'required', 'preferred', 'distinction', 'capacity', 'leadTime', 'price', 'freshness',
];

// Text relevance leads: a nearby vendor of the wrong thing is no match. Locality next, as measure 14 asks.
export const defaultWeights: Weights = {
  text: 0.4,
  locality: 0.16,
  required: 0.02,
  preferred: 0.08,
  distinction: 0.08,
  capacity: 0.15,
  leadTime: 0.15,
  price: 0.07,
  freshness: 0.06,
};

const WeightsOverride = z.strictObject(
  Object.fromEntries(factors.map((f) => [f, z.number().min(0, '权重不能为负数').max(1000).optional()])) as Record<Factor, z.ZodOptional<z.ZodNumber>>,
);

/** Defaults overlaid with MATCH_WEIGHTS; throws an Error with a Chinese message naming the variable. */
export function weightsFrom(raw: string | undefined): Weights {
  if (!raw) return { ...defaultWeights };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('环境变量 MATCH_WEIGHTS 不是有效的 JSON，例如 {"text":0.4,"locality":0.2}。');
  }
  const parsed = WeightsOverride.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`环境变量 MATCH_WEIGHTS 无效（${issue.path.join('.') || '整体'}：${issue.message}）。可用的因素：${factors.join('、')}。`);
  }
  const merged = { ...defaultWeights };
  for (const f of factors) {
    const v = parsed.data[f];
    if (v !== undefined) merged[f] = v;
  }
  return merged;
}
