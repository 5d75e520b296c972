/**
 * The products index and its settings, declared here and applied idempotently: at start (and by the sync
 * worker once Meilisearch answers) the live settings are compared with these and updated only if they differ.
 */
import type { Meilisearch, Settings } from 'meilisearch';
import { meiliDictionary, synonymMap } from './vocabulary.js';

export const productsIndexName = (prefix: string) => `${prefix}products`;

/** Fields in Chinese text: tell Meilisearch they are Mandarin, so short queries are not segmented as Japanese. */
const chineseAttributes = ['name', 'segments', 'categoryName', 'fieldName', 'vendorName', 'description'];

export const productSettings = {
  // Order matters: the `attribute` ranking rule prefers matches in earlier attributes.
  searchableAttributes: [
    'name', 'model', 'segments', 'categoryName', 'fieldName', 'vendorName', 'description',
    'namePinyin', 'nameInitials', 'vendorPinyin', 'vendorInitials',
  ],
  filterableAttributes: [
    'field', 'category', 'province', 'city', 'district', 'certifications', 'vendorId', 'freshness',
    'searchable', 'confirmedAt', 'badges', 'vendorCreditCode',
  ],
  sortableAttributes: ['confirmedAt', 'priceMin', 'leadTimeDays', 'name', 'priceKey', 'listedAt', 'localityTier'],
  displayedAttributes: ['*'],
  // `sort` first: a sort the person chose (price, newest, locality) orders the whole result, relevance breaking
  // ties; without one it does nothing. freshRank right after words and typo: a stale listing ranks below an
  // equally matching current one.
  rankingRules: ['sort', 'words', 'typo', 'freshRank:desc', 'proximity', 'attribute', 'exactness'],
  synonyms: synonymMap(),
  dictionary: [...meiliDictionary],
  typoTolerance: {
    enabled: true,
    // Chinese has no typos, but model numbers and pinyin do; numbers alone (400 vs 800万像素) must not match.
    disableOnNumbers: true,
    disableOnAttributes: ['nameInitials', 'vendorInitials'],
    minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 },
  },
  localizedAttributes: [{ attributePatterns: chineseAttributes, locales: ['cmn'] }],
  faceting: { maxValuesPerFacet: 200 },
  pagination: { maxTotalHits: 100_000 },
} satisfies Settings;

type Comparable = Record<string, unknown>;

// Meilisearch may return sets in another order; these keys are compared as sets.
const setKeys = new Set(['filterableAttributes', 'sortableAttributes', 'dictionary']);

function normalize(key: string, value: unknown): unknown {
  if (Array.isArray(value) && setKeys.has(key)) return [...(value as string[])].map(String).sort();
  if (key === 'synonyms' && value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, string[]>)
        .map(([k, v]) => [k.toLowerCase(), [...v].map((s) => s.toLowerCase()).sort()] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  if (key === 'typoTolerance' && value && typeof value === 'object') {
    const t = value as Comparable & { disableOnAttributes?: string[]; disableOnWords?: string[] };
    return {
      enabled: t.enabled,
      disableOnNumbers: t.disableOnNumbers ?? false,
      disableOnAttributes: [...(t.disableOnAttributes ?? [])].sort(),
      minWordSizeForTypos: t.minWordSizeForTypos,
    };
  }
  if (key === 'faceting' && value && typeof value === 'object') return { maxValuesPerFacet: (value as Comparable).maxValuesPerFacet };
  return value;
}

const stable = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Comparable).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** The declared settings that the live ones lack or contradict (pure). */
export function settingsDiff(current: Settings, wanted: Settings = productSettings): string[] {
  return Object.keys(wanted).filter((key) => {
    const want = normalize(key, (wanted as Comparable)[key]);
    const have = normalize(key, (current as Comparable)[key]);
    return stable(want) !== stable(have);
  });
}

export async function indexExists(meili: Meilisearch, uid: string): Promise<boolean> {
  try {
    await meili.getRawIndex(uid);
    return true;
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'index_not_found') return false;
    throw err;
  }
}

/**
 * Creates the index if missing and applies the declared settings if they differ. Returns the keys it
 * changed (empty when already in step). Throws when Meilisearch cannot be reached.
 */
export async function ensureSettings(meili: Meilisearch, uid: string, timeoutMs = 120_000): Promise<string[]> {
  if (!(await indexExists(meili, uid))) {
    const task = await meili.createIndex(uid, { primaryKey: 'id' }).waitTask({ timeout: timeoutMs });
    // Two instances starting at once: the loser's creation fails with index_already_exists, which is fine.
    if (task.status === 'failed' && task.error?.code !== 'index_already_exists') {
      throw new Error(`创建索引 ${uid} 失败：${task.error?.message ?? '未知错误'}`);
    }
  }
  const index = meili.index(uid);
  const changed = settingsDiff(await index.getSettings());
  if (!changed.length) return [];
  const task = await index.updateSettings(productSettings).waitTask({ timeout: timeoutMs, interval: 50 });
  if (task.status !== 'succeeded') throw new Error(`更新索引 ${uid} 的设置失败：${task.error?.message ?? task.status}`);
  return changed;
}
