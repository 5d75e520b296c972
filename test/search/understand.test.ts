/**
 * The query-understanding step (src/search/understand.ts), pure: pinyin-keyboard slips corrected to the
 * field's terms only, real words left alone, abbreviations and model words expanded, filler dropped.
 */
import t from 'tap';
import fc from 'fast-check';
import { abbreviationPairs, buildVocabulary, describeCorrections, domainTerms, informativeWords, understand } from '../../src/search/understand.js';

const vocabulary = buildVocabulary({
  names: ['64路网络硬盘录像机NVR', 'S22型油浸式配电变压器', '实时荧光定量PCR仪', '电梯专用AI摄像机', 'AI边缘计算盒', '替代S7、S8型的节能配电变压器'],
  words: ['弧焊', '氨氮'],
});
const read = (text: string) => understand(text, vocabulary);

t.test('slips of a pinyin keyboard become the field\'s terms, and say so', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['小区要装消访设备', '消访', '消防'],
    ['厂里空亚机要换', '空亚机', '空压机'],
    ['学校围墙装监空', '监空', '监控'],
    ['路口装球型摄象头', '摄象头', '摄像头'],
    ['停车场要装充电庄', '充电庄', '充电桩'],
    ['车间想上胡焊机器人', '胡焊', '弧焊'],
    ['街道要买电动洗少车', '洗少车', '洗扫车'],
  ];
  for (const [text, from, to] of cases) {
    const u = read(text);
    t.ok(u.text.includes(to), `${text} → ${u.text}`);
    t.ok(u.corrections.some((c) => c.from === from && c.to === to && c.kind === 'slip'), `${from} read as ${to}`);
  }
  t.equal(describeCorrections(read('小区要装消访设备').corrections), '已将“消访”按“消防”理解');
});

t.test('real words and word boundaries are left alone', async (t) => {
  for (const text of ['期间要买器件', '学校用的桌子', '污水厂出口装在线氨氮分析仪', '小区要装智慧消防监测终端', '燃煤锅炉要换', '控制柜要换', '核算一下预算']) {
    t.same(read(text).corrections, [], `${text}: nothing corrected`);
    t.equal(read(text).text, text);
  }
});

t.test('abbreviations and model words are expanded, from synonyms and from the catalog\'s names', async (t) => {
  t.match(read('小区补120个ipc'), { text: '小区补120个ipc', expansions: ['网络摄像机'], corrections: [{ from: 'ipc', to: '网络摄像机', kind: 'abbreviation' }] });
  t.same(read('NVR扩容').expansions, ['网络硬盘录像机']);
  t.same(read('换一批S22的变压器').expansions, ['油浸式配电变压器'], 'a model word names the type written after it');
  t.same(read('疾控要两台qPCR').expansions, ['核酸检测仪'], 'a lowercase prefix is not part of the abbreviation');
  t.same(read('要AI的').expansions, [], 'written beside different kinds of equipment: stands for none');
  t.same(read('替代S7').expansions, [], 'a neighbour with none of the field\'s words is no term');
  t.same(abbreviationPairs(['数字化X射线摄影系统DR']), [['DR', '数字化X射线摄影系统']]);
});

t.test('filler words are dropped, the informative ones kept in order', async (t) => {
  t.same(informativeWords('我们学校想要采购一批课桌椅'), ['学校', '课桌椅']);
  t.ok(domainTerms.has('消防'), 'taxonomy words are field terms');
});

t.test('properties: text made only of field terms is never changed; a correction keeps the length and shows its term', async (t) => {
  const terms = [...domainTerms].filter((w) => /^\p{Script=Han}{2,6}$/u.test(w));
  fc.assert(fc.property(fc.array(fc.constantFrom(...terms), { minLength: 1, maxLength: 5 }), (words) => {
    const text = words.join('，');
    const u = read(text);
    return u.text === text && u.corrections.every((c) => c.kind === 'abbreviation');
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'消访监空控亚压机电梯题桌椅宜充庄桩的要装小区'.split('')), maxLength: 12 }), (text) => {
    const once = read(text);
    return [...once.text].length === [...text].length && once.corrections.every((c) => c.kind === 'slip' && once.text.includes(c.to) && c.from.length === c.to.length);
  }), { numRuns: 500 });
  t.pass('held over random cases');
});
