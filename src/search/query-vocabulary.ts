/**
 * The query vocabulary of one app: the field's terms plus the catalog's own product names (their words and
 * abbreviations), rebuilt from MongoDB every few minutes. A derived cache, not state: every instance
 * builds its own from the database, and a stale one only misses the newest product names for a while.
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import type { Models } from '../infra/models.js';
import { buildVocabulary, type Vocabulary } from './understand.js';

const jieba = Jieba.withDict(dict);
const REFRESH_MS = 10 * 60_000;
/** Names whose words join the vocabulary (segmenting costs ~0.1 ms a name); all names give abbreviations. */
const WORD_NAMES = 3000;

export async function catalogVocabulary(models: Pick<Models, 'Product'>): Promise<Vocabulary> {
  const names = (await models.Product.distinct('name', { status: 'published' })) as string[];
  const words = new Set<string>();
  for (const [i, name] of names.slice(0, WORD_NAMES).entries()) {
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    // With HMM, so that the catalog's own compounds (弧焊, 氨氮) become words.
    for (const w of jieba.cut(name, true)) words.add(w);
  }
  return buildVocabulary({ names, words });
}

interface Source { vocabulary: Vocabulary; builtAt: number; refreshing?: Promise<void> }
const sources = new WeakMap<object, Promise<Source>>();

/**
 * The vocabulary for these models, shared by the directory and matching of one app. The first call waits
 * for the build; later ones get the current vocabulary at once and refresh it in the background when old.
 */
export async function queryVocabulary(models: Pick<Models, 'Product'>, now = Date.now()): Promise<Vocabulary> {
  let pending = sources.get(models);
  if (!pending) {
    pending = catalogVocabulary(models).then((vocabulary) => ({ vocabulary, builtAt: now }));
    sources.set(models, pending);
    // A failed first build (database down) is retried by the next call, not cached.
    pending.catch(() => sources.delete(models));
  }
  const source = await pending;
  if (now - source.builtAt > REFRESH_MS && !source.refreshing) {
    source.refreshing = catalogVocabulary(models)
      .then((vocabulary) => { source.vocabulary = vocabulary; source.builtAt = Date.now(); })
      .catch(() => {})
      .finally(() => { source.refreshing = undefined; });
  }
  return source.vocabulary;
}
