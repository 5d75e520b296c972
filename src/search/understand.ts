/**
 * Query understanding, shared by matching and the directory: what a person typed becomes what they meant.
 * - Slips of a pinyin keyboard (消访 → 消防, 空亚机 → 空压机) and near-form slips are corrected, but only to a
 *   known term of the field, and only where the typed string is not itself a more common word.
 * - Latin abbreviations and model words (IPC, NVR, S22) are expanded to their terms.
 * - Filler words (how buyers talk, procurement boilerplate, places, time) are dropped.
 * Every correction is returned, so pages and reasons can show it and a person can undo it. Pure, apart
 * from the vocabulary's inputs (see vocabulary-cache.ts for the catalog part).
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { pinyin } from 'pinyin-pro';
import { taxonomy } from '../taxonomy/index.js';
import { jiebaWords, synonymGroups } from './vocabulary.js';

const jieba = Jieba.withDict(dict);
jieba.loadDict(Buffer.from(jiebaWords.map((w) => `${w} 50000 n`).join('\n')));

/** Words that say nothing about what is wanted: how buyers talk, procurement boilerplate, places, time. */
const fillers = new Set(`
我们 我 我司 我单位 本单位 咱们 单位 这批 这次 本次 此次 一批 一些 一下 一套 一台 若干 部分 全部 所有 各类 各种 相关 有关 等等
需要 需 要 想 想要 希望 计划 准备 打算 拟 拟采购 采购 购买 购置 添置 配置 配备 更新 更换 换新 替换 改造 升级 提升 新增 补充 建设 招标 项目 工程 年度 批次 第一批 第二批
替代 淘汰 大约 大概 左右 约 多 多所 多个 以上 以下 以内 至少 最多 最好 尽量 优先 必须 一定 务必 要求 符合 满足 能够 可以 能 会 应 应当 需求
今年 明年 去年 年内 年底 上半年 下半年 月底 之前 以前 之后 尽快 马上 开学 暑假 寒假 期间 时候
区里 市里 省里 全区 全市 全省 区 市 省 县 街道 社区 我区 我市 我省 滨江 杭州 浙江
的 了 和 与 及 以及 或 或者 还有 并 并且 而且 也 都 就 还 再 先 后 把 用 给 在 是 有 对 为 将 从 到 由 让 跟 同 等 个 台 套 张 路 辆 座 间 家 所 批 次 件 项 种 类 些
好 新 旧 老 老旧 现有 原有 目前 现在 已经 正在 主要 重点 统一 整体 全面 进一步 一起 一并 同时 另外 此外 其中 包括 包含 例如 比如 像 如
一共 改成 考虑 一级 几台 几个 几辆 几套 几所 要换 换成 想换 想添 想建 要装 要加 要配 还要 只能 不够 厂里 科里 园区 辖区 滨江区 杭州市 浙江省 预算 方便 维保 想用 想上 想弄 要存
设备 系统 产品 厂家 厂商 企业 公司 供应商 本地 售后 服务 响应 及时 快 质量 价格 便宜 性价比 合适 靠谱 品牌 型号 规格 参数 功能 方案
`.split(/\s+/).filter(Boolean));

/** Single characters that carry meaning on their own in this field. */
const meaningfulSingles = new Set(['泵', '阀', '炉', '灯', '柜', '床', '梯', '秤', '塔', '罐', '釜']);

const taxonomyPhrases = taxonomy.fields.flatMap((f) => [f.name, ...f.categories.flatMap((c) => [c.name, ...c.examples])]);

/** Terms of the field: taxonomy names and examples (and their words), synonyms, the segmentation words. */
export const domainTerms: ReadonlySet<string> = new Set<string>([
  ...jiebaWords,
  ...synonymGroups.flat(),
  ...taxonomyPhrases,
  ...taxonomyPhrases.flatMap((p) => jieba.cutForSearch(p, true)).filter((w) => /^\p{Script=Han}{2,}$/u.test(w) && !fillers.has(w)),
]);

const wordLike = /[\p{L}\p{N}]/u;
const hasLatin = /[A-Za-z]/;
const chineseNumber = /^[零一二三四五六七八九十百千万亿两]+[台个套张辆座间只路年元]?$/u;
const onlyNumber = /^[\d.,%]+[\p{Script=Han}]?$/u;

function informative(token: string): boolean {
  const t = token.trim();
  if (!t || !wordLike.test(t) || fillers.has(t)) return false;
  if (onlyNumber.test(t) && !hasLatin.test(t)) return false;
  if (chineseNumber.test(t) || t.includes('几')) return false;
  // jieba glues a verb to a following character (要装, 里装, 车要): such two-character scraps are noise.
  if (/^[要想还能可里上][\p{Script=Han}]$/u.test(t) && !domainTerms.has(t)) return false;
  if ([...t].length === 1) return meaningfulSingles.has(t) || hasLatin.test(t);
  return true;
}

/** The informative words of a text, in order, each once (filler words, numbers and scraps dropped). */
export function informativeWords(text: string): string[] {
  return [...new Set(jieba.cut(text, true).map((t) => t.trim()).filter(informative))];
}

/** Is the word one the field knows (the vocabulary's terms)? Retrieval prefers them in long descriptions. */
export const isDomainTerm = (word: string, vocabulary?: Vocabulary) => domainTerms.has(word) || Boolean(vocabulary?.terms.has(word));

export interface Correction {
  /** What was typed. */
  from: string;
  /** What it was read as. */
  to: string;
  /** A slip of the keyboard (replaced), or an abbreviation or model word (kept, with its term added). */
  kind: 'slip' | 'abbreviation';
}

export interface Vocabulary {
  terms: ReadonlySet<string>;
  /** Fuzzy toneless pinyin of a term, syllables space-separated → the terms that sound so. */
  bySound: ReadonlyMap<string, readonly string[]>;
  /** The same with one syllable blanked (`*`): near-sound slips of 3+ characters (one syllable off by a letter). */
  byNearSound: ReadonlyMap<string, readonly string[]>;
  /** Upper-cased abbreviation or model word → its term. */
  abbreviations: ReadonlyMap<string, string>;
}

// The fuzzy pairs pinyin keyboards offer, because people mistype across them: zh/z, ch/c, sh/s, n/l,
// an/ang, en/eng, in/ing.
function fuzzySyllable(s: string): string {
  return s.replace(/^([zcs])h/, '$1').replace(/^l/, 'n').replace(/([aei]n)g$/, '$1');
}

function sounds(text: string): string[] {
  return pinyin(text, { toneType: 'none', type: 'array', nonZh: 'removed', v: true }).map(fuzzySyllable);
}

const blanked = (syllables: readonly string[], i: number) => [...syllables.slice(0, i), '*', ...syllables.slice(i + 1)].join(' ');

/** Letters to change, add or drop to turn a into b (Levenshtein). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

const hanOnly = /^\p{Script=Han}+$/u;
const latinToken = /[A-Za-z][A-Za-z0-9]{1,7}/g;
const MAX_TERM = 8;

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

// Units and generic words written in Latin letters: never an abbreviation of one kind of equipment.
const notAbbreviations = new Set(['KV', 'KW', 'KVA', 'KWH', 'MW', 'MM', 'CM', 'KG', 'MPA', 'HZ', 'AI', 'APP', 'LED', 'PRO', 'PLUS', 'MAX', 'MINI']);

/**
 * Abbreviation → term pairs written in product names and taxonomy examples: 网络硬盘录像机NVR,
 * S22型油浸式配电变压器. The term is the longer Chinese neighbour (single Latin letters count as part of it:
 * 数字化X射线摄影系统DR); a neighbour without any of the field's words (替代S7) is no term.
 */
const equipmentWords = [...domainTerms].filter((d) => d.length >= 2);
const namesEquipmentMemo = new Map<string, boolean>();
function namesEquipment(text: string): boolean {
  let known = namesEquipmentMemo.get(text);
  if (known === undefined) {
    known = equipmentWords.some((d) => text.includes(d));
    if (namesEquipmentMemo.size > 50_000) namesEquipmentMemo.clear();
    namesEquipmentMemo.set(text, known);
  }
  return known;
}

export function abbreviationPairs(names: Iterable<string>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const name of names) {
    const parts = name.match(/\p{Script=Han}+|[A-Za-z][A-Za-z0-9]*|[^\p{Script=Han}A-Za-z]+/gu) ?? [];
    const isWordPart = (part: string) => /^\p{Script=Han}/u.test(part) || /^[A-Za-z]$/.test(part);
    parts.forEach((part, i) => {
      const abbr = part.toUpperCase();
      if (!/^[A-Z][A-Z0-9]{1,7}$/.test(abbr) || notAbbreviations.has(abbr)) return;
      let before = '';
      for (let j = i - 1; j >= 0 && isWordPart(parts[j]); j--) before = parts[j] + before;
      let after = '';
      for (let j = i + 1; j < parts.length && isWordPart(parts[j]); j++) after += parts[j];
      // "S22型…的…": the model word names the type that follows.
      after = after.replace(/^型的?/u, '');
      const term = [after, before].filter((t) => t.length >= 2 && namesEquipment(t))
        .sort((a, b) => b.length - a.length)[0];
      if (term) pairs.push([abbr, term]);
    });
  }
  return pairs;
}

/**
 * The vocabulary: the field's terms (taxonomy, synonyms) plus the catalog's own words and
 * abbreviations (product names). Synonym groups decide an abbreviation first, then the most frequent pair.
 */
export function buildVocabulary(catalog: { words?: Iterable<string>; names?: Iterable<string> } = {}): Vocabulary {
  const terms = new Set<string>([...domainTerms].filter((t) => hanOnly.test(t) && t.length >= 2));
  for (const w of catalog.words ?? []) if (hanOnly.test(w) && w.length >= 2 && !fillers.has(w)) terms.add(w);
  const bySound = new Map<string, string[]>();
  const byNearSound = new Map<string, string[]>();
  for (const term of terms) {
    if (term.length > MAX_TERM) continue;
    const syllables = sounds(term);
    if (syllables.length !== term.length) continue;
    push(bySound, syllables.join(' '), term);
    if (term.length >= 3) for (let i = 0; i < term.length; i++) push(byNearSound, blanked(syllables, i), term);
  }
  const abbreviations = new Map<string, string>();
  for (const group of synonymGroups) {
    const han = group.filter((t) => hanOnly.test(t)).sort((a, b) => b.length - a.length)[0];
    if (han) for (const t of group) if (/^[A-Za-z][A-Za-z0-9]*$/.test(t)) abbreviations.set(t.toUpperCase(), han);
  }
  const counted = new Map<string, Map<string, number>>();
  for (const [abbr, term] of abbreviationPairs([...taxonomyPhrases, ...(catalog.names ?? [])])) {
    const of = counted.get(abbr) ?? new Map<string, number>();
    of.set(term, (of.get(term) ?? 0) + 1);
    counted.set(abbr, of);
  }
  for (const [abbr, of] of counted) {
    if (abbreviations.has(abbr)) continue;
    const best = [...of].sort((a, b) => b[1] - a[1] || b[0].length - a[0].length)[0];
    const total = [...of.values()].reduce((a, b) => a + b, 0);
    // An abbreviation written beside different kinds of equipment (AI摄像机, AI边缘计算盒) stands for none.
    if (best[1] * 3 >= total * 2) abbreviations.set(abbr, best[0]);
  }
  return { terms, bySound, byNearSound, abbreviations };
}

/** How often jieba's dictionary has seen a word (0: not a word). Looked up only for slip candidates. */
const dictText = `\n${Buffer.from(dict).toString('utf8')}`;
const frequencies = new Map<string, number>();
function wordFrequency(word: string): number {
  const known = frequencies.get(word);
  if (known !== undefined) return known;
  // A bounded cache: the same few candidate strings recur across queries.
  if (frequencies.size > 50_000) frequencies.clear();
  const frequency = lookupFrequency(word);
  frequencies.set(word, frequency);
  return frequency;
}
function lookupFrequency(word: string): number {
  const at = dictText.indexOf(`\n${word} `);
  if (at < 0) return 0;
  return Number(dictText.slice(at + word.length + 2, dictText.indexOf(' ', at + word.length + 2))) || 0;
}

const differing = (a: string, b: string) => [...a].filter((ch, i) => ch !== b[i]).length;

/** The one field term a typed string is a slip of, if any (pure but for the dictionary lookup). */
function slipOf(typed: string, typedSounds: string[], vocabulary: Vocabulary): string | undefined {
  const allowed = Math.max(1, Math.floor(typed.length / 2));
  let candidates = (vocabulary.bySound.get(typedSounds.join(' ')) ?? [])
    .filter((t) => t.length === typed.length && t !== typed && differing(t, typed) <= allowed);
  if (!candidates.length && typed.length >= 3) {
    // One character typed with a syllable one letter off (变平 for 变频 is caught above by in/ing; 空亚 for 空压 too).
    const near = new Set<string>();
    for (let i = 0; i < typed.length; i++) {
      for (const t of vocabulary.byNearSound.get(blanked(typedSounds, i)) ?? []) {
        if (t !== typed && differing(t, typed) === 1 && t[i] !== typed[i] && editDistance(sounds(t[i])[0] ?? '', typedSounds[i]) <= 1) near.add(t);
      }
    }
    candidates = [...near];
  }
  if (candidates.length !== 1) return undefined;
  const [term] = candidates;
  // A real word is not a slip unless the field's term is more common (期间 stays; 摄象头 becomes 摄像头).
  const typedFrequency = wordFrequency(typed);
  if (typedFrequency > 0 && typedFrequency >= wordFrequency(term)) return undefined;
  return term;
}

/**
 * Where the dictionary's own words of a run begin and end: a short slip is looked for only between such
 * boundaries, so that 装在线 is not read as 装载 + 线, nor 要装智慧 as 要 + 装置 + 慧.
 */
function wordBoundaries(run: string): Set<number> {
  const at = new Set<number>([0]);
  let offset = 0;
  for (const token of jieba.cut(run, false)) at.add((offset += token.length));
  return at;
}

function correctRun(run: string, vocabulary: Vocabulary, corrections: Correction[]): string {
  const runSounds = sounds(run);
  // pinyin-pro gives one syllable per Han character; if it did not, leave the run alone.
  if (runSounds.length !== run.length) return run;
  const boundaries = wordBoundaries(run);
  let out = '';
  let i = 0;
  while (i < run.length) {
    let step = 0;
    for (let len = Math.min(MAX_TERM, run.length - i); len >= 2 && !step; len--) {
      const typed = run.slice(i, i + len);
      if (vocabulary.terms.has(typed)) { out += typed; step = len; break; }
      // Across a word's edge only a longer slip of one character counts (空亚机要换: the dictionary reads 机要).
      const aligned = boundaries.has(i) && boundaries.has(i + len);
      if (!aligned && len < 3) continue;
      const term = slipOf(typed, runSounds.slice(i, i + len), vocabulary);
      if (term && !aligned && differing(term, typed) !== 1) continue;
      if (term) {
        corrections.push({ from: typed, to: term, kind: 'slip' });
        out += term;
        step = len;
      }
    }
    if (!step) { out += run[i]; step = 1; }
    i += step;
  }
  return out;
}

/** The term an abbreviation or model word stands for: as typed, or without a lowercase prefix or suffix (qPCR, VOCs). */
function abbreviationOf(token: string, vocabulary: Vocabulary): string | undefined {
  for (const key of [token, token.replace(/^[a-z]+(?=[A-Z])/, ''), token.replace(/(?<=[A-Z0-9])[a-z]+$/, '')]) {
    const term = key.length >= 2 ? vocabulary.abbreviations.get(key.toUpperCase()) : undefined;
    if (term) return term;
  }
  return undefined;
}

export interface Understood {
  /** The text as understood: slips corrected (abbreviations left as typed). */
  text: string;
  /** The terms the abbreviations and model words stand for, to search beside them. */
  expansions: string[];
  corrections: Correction[];
}

// The opportunity feed reads the same open demands on every request: remember recent readings per vocabulary.
const readings = new WeakMap<Vocabulary, Map<string, Understood>>();
const MAX_READINGS = 20_000;

/** Reads a query or a demand's words the way the person meant them (pure, given the vocabulary). */
export function understand(text: string, vocabulary: Vocabulary): Understood {
  let memo = readings.get(vocabulary);
  if (!memo) readings.set(vocabulary, (memo = new Map()));
  const known = memo.get(text);
  if (known) return known;
  const understood = read(text, vocabulary);
  if (memo.size >= MAX_READINGS) memo.clear();
  memo.set(text, understood);
  return understood;
}

function read(text: string, vocabulary: Vocabulary): Understood {
  const corrections: Correction[] = [];
  const corrected = text.replace(/\p{Script=Han}+/gu, (run) => correctRun(run, vocabulary, corrections));
  const expansions: string[] = [];
  for (const [token] of corrected.matchAll(latinToken)) {
    const term = abbreviationOf(token, vocabulary);
    if (!term || corrected.includes(term) || expansions.includes(term)) continue;
    expansions.push(term);
    corrections.push({ from: token, to: term, kind: 'abbreviation' });
  }
  return { text: corrected, expansions, corrections };
}

/** A sentence for a person: 已将“消访”按“消防”理解；IPC 即“网络摄像机”. */
export function describeCorrections(corrections: readonly Correction[]): string {
  return corrections
    .map((c) => (c.kind === 'slip' ? `已将“${c.from}”按“${c.to}”理解` : `${c.from} 即“${c.to}”`))
    .join('；');
}
