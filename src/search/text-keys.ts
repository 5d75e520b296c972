/**
 * The costly part of a search document: jieba segments and pinyin keys (pure and deterministic). Apart
 * from document.ts so that the worker thread that computes them (document-worker.ts) loads only jieba,
 * pinyin and the vocabulary, not the app.
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { pinyin } from 'pinyin-pro';
import { jiebaWords } from './vocabulary.js';

const jieba = Jieba.withDict(dict);
// A high frequency makes jieba keep the domain compound whole; cutForSearch still adds its parts.
jieba.loadDict(Buffer.from(jiebaWords.map((w) => `${w} 50000 n`).join('\n')));

const wordLike = /[\p{L}\p{N}]/u;

/** jieba search-mode segments: each word and the sub-words inside it (安装简单 → 安装 简单 安装简单). */
export function segment(text: string): string[] {
  const seen = new Set<string>();
  for (const token of jieba.cutForSearch(text, true)) {
    const t = token.trim();
    if (t && wordLike.test(t)) seen.add(t);
  }
  return [...seen];
}

const hasHan = /\p{Script=Han}/u;

/**
 * Pinyin keys of a name, from each word boundary on, so that prefix search finds 海康威视 from `haikang`,
 * `hkws` or `weishi` even when the name starts with 杭州: full pinyin and initials, space separated.
 */
export function pinyinKeys(name: string): { full: string; initials: string } {
  const words = jieba.cut(name, false).filter((w) => hasHan.test(w));
  if (!words.length) return { full: '', initials: '' };
  const full = words.map((w) => pinyin(w, { toneType: 'none', type: 'array', nonZh: 'removed', v: true }).join(''));
  const initials = words.map((w) => pinyin(w, { pattern: 'first', toneType: 'none', type: 'array', nonZh: 'removed' }).join(''));
  const suffixes = (parts: string[], max: number) =>
    [...new Set(parts.map((_, i) => parts.slice(i).join('').slice(0, max)).filter((s) => s.length > 1))].join(' ');
  return { full: suffixes(full, 60), initials: suffixes(initials, 24) };
}

// A vendor's name recurs in every one of its products' documents: its pinyin (the costly part of a
// document) is computed once per name. A pure-function cache, bounded; it holds no request state.
const vendorPinyinCache = new Map<string, { full: string; initials: string }>();
function vendorPinyinKeys(name: string): { full: string; initials: string } {
  let keys = vendorPinyinCache.get(name);
  if (!keys) {
    if (vendorPinyinCache.size >= 10_000) vendorPinyinCache.clear();
    keys = pinyinKeys(name);
    vendorPinyinCache.set(name, keys);
  }
  return keys;
}

/** What a product's text keys are computed from: the text to segment, its name and its vendor's name. */
export interface TextInput { text: string; name: string; vendorName: string }
export interface TextKeys { segments: string; namePinyin: string; nameInitials: string; vendorPinyin: string; vendorInitials: string }

export function textKeys({ text, name, vendorName }: TextInput): TextKeys {
  const namePy = pinyinKeys(name);
  const vendorPy = vendorPinyinKeys(vendorName);
  return { segments: segment(text).join(' '), namePinyin: namePy.full, nameInitials: namePy.initials, vendorPinyin: vendorPy.full, vendorInitials: vendorPy.initials };
}
