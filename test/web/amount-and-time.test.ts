/**
 * Amounts as people write them, and one China-time format: pure functions, no server.
 */
import t from 'tap';
import fc from 'fast-check';
import { amountFromForm, parseAmountYuan } from '../../src/web/amount.js';
import { chinaClock, chinaDateTime, chinaDay } from '../../src/web/china-time.js';

t.test('amounts written the everyday way', async (t) => {
  const cases: Array<[string, number]> = [
    ['12万', 120_000], ['45.5万元', 455_000], ['1,200,000', 1_200_000], ['1,200,000元', 1_200_000],
    ['￥3,000', 3000], ['¥ 3000 元', 3000], ['１２万', 120_000], ['1，200，000', 1_200_000], ['1.2亿', 120_000_000],
    ['88000', 88_000], ['0.5', 0.5], ['人民币12万元整', 120_000], ['  7万 ', 70_000],
  ];
  for (const [text, yuan] of cases) t.equal(parseAmountYuan(text), yuan, text);
  for (const text of ['', '十二万', '12万万', '1,20,000', '12,00', 'abc', '-5', '12 000 000x', '1e6', '万']) {
    t.equal(parseAmountYuan(text), null, `"${text}" is not an amount`);
  }
  t.equal(amountFromForm('  '), undefined, 'a blank field is no amount');
  t.equal(amountFromForm('12万'), 120_000);
  t.equal(amountFromForm('不详'), '不详', 'left as typed, for the schema to refuse in Chinese');
  t.equal(amountFromForm(5), 5, 'a JSON number passes through');
});

t.test('property: a whole number of yuan reads back in every written form', async () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 9_999_999_999 }), (n) => {
    const grouped = n.toLocaleString('en-US');
    return parseAmountYuan(String(n)) === n && parseAmountYuan(grouped) === n && parseAmountYuan(`${grouped}元`) === n
      && (n % 100 !== 0 || parseAmountYuan(`${n / 10_000}万`) === n);
  }), { numRuns: 500 });
});

t.test('China time: minutes, no seconds; days in China', async (t) => {
  const late = new Date('2026-11-30T17:30:45Z'); // 01:30:45 on 1 December in Hangzhou
  t.equal(chinaDateTime(late), '2026-12-01 01:30');
  t.equal(chinaDay(late), '2026-12-01', 'the China day, not the UTC day');
  t.equal(chinaClock(late), '01:30');
  t.equal(chinaDateTime('2026-06-01T00:00:00Z'), '2026-06-01 08:00', 'no daylight saving');
  for (const none of [null, undefined, '', 'not a date']) {
    t.equal(chinaDateTime(none), '');
    t.equal(chinaDay(none), '');
  }
});
