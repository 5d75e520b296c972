import t from 'tap';
import fc from 'fast-check';
import {
  CREDIT_CODE_CHARSET,
  creditCodeCheckChar,
  isValidCreditCode,
  normalizeCreditCode,
} from '../../src/suppliers/credit-code.js';

// 91350100M000100Y43 is the worked example used with GB 32100-2015: the weighted sum of the first
// 17 characters is 1640, 1640 mod 31 = 28, 31 - 28 = 3, so the check character is '3'.
const KNOWN_VALID = [
  '91350100M000100Y43',
  '91110000600037341L',
  '91440300708461136T',
  // The weighted sum is 0, so the check value is (31 - 0) % 31 = 0, not an out-of-range 31.
  '000000000000000000',
];

t.test('known valid codes', async (t) => {
  for (const code of KNOWN_VALID) {
    t.ok(isValidCreditCode(code), `${code} is valid`);
    t.equal(creditCodeCheckChar(code.slice(0, 17)), code[17], `${code} check character`);
  }
});

t.test('rejects malformed codes', async (t) => {
  t.notOk(isValidCreditCode(''), 'empty');
  t.notOk(isValidCreditCode('91350100M000100Y4'), '17 characters');
  t.notOk(isValidCreditCode('91350100M000100Y433'), '19 characters');
  t.notOk(isValidCreditCode('91350100m000100y43'), 'lowercase');
  t.notOk(isValidCreditCode(' 91350100M000100Y43'), 'leading space');
  for (const bad of ['I', 'O', 'Z', 'S', 'V', '-', '中']) {
    t.notOk(isValidCreditCode(`91350100${bad}000100Y43`), `forbidden character ${bad}`);
  }
  t.notOk(isValidCreditCode('91350100M000100Y44'), 'wrong check character');
  t.notOk(isValidCreditCode('91350100M000100Y34'), 'transposed characters');
  t.notOk(isValidCreditCode(undefined as unknown as string), 'not a string');
});

t.test('creditCodeCheckChar refuses input it cannot check', async (t) => {
  t.throws(() => creditCodeCheckChar('9135010'), RangeError);
  t.throws(() => creditCodeCheckChar('91350100M000100Y43'), RangeError);
  t.throws(() => creditCodeCheckChar('91350100O000100Y4'), RangeError);
});

t.test('normalizeCreditCode trims and uppercases', async (t) => {
  t.equal(normalizeCreditCode('  91350100m000100y43\n'), '91350100M000100Y43');
  t.ok(isValidCreditCode(normalizeCreditCode(' 91110000600037341l ')));
  t.equal(normalizeCreditCode('91350100M000100Y43'), '91350100M000100Y43', 'canonical input unchanged');
});

t.test('charset is the 31 characters of the standard', async (t) => {
  t.equal(CREDIT_CODE_CHARSET.length, 31);
  t.equal(new Set(CREDIT_CODE_CHARSET).size, 31);
  for (const ch of 'IOZSV') t.notOk(CREDIT_CODE_CHARSET.includes(ch), `${ch} excluded`);
});

t.test('property: exactly one check character completes any 17-character prefix', async (t) => {
  const prefix = fc
    .array(fc.constantFrom(...CREDIT_CODE_CHARSET), { minLength: 17, maxLength: 17 })
    .map((chars) => chars.join(''));
  fc.assert(
    fc.property(prefix, (first17) => {
      const check = creditCodeCheckChar(first17);
      if (!isValidCreditCode(first17 + check)) return false;
      for (const other of CREDIT_CODE_CHARSET) {
        if (other !== check && isValidCreditCode(first17 + other)) return false;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 random prefixes');
});

t.test('property: a single changed character is always detected', async (t) => {
  const code = fc
    .array(fc.constantFrom(...CREDIT_CODE_CHARSET), { minLength: 17, maxLength: 17 })
    .map((chars) => chars.join(''))
    .map((first17) => first17 + creditCodeCheckChar(first17));
  fc.assert(
    fc.property(code, fc.nat(16), fc.nat(29), (valid, pos, shift) => {
      const old = CREDIT_CODE_CHARSET.indexOf(valid[pos]);
      const replacement = CREDIT_CODE_CHARSET[(old + 1 + shift) % 31];
      const mutated = valid.slice(0, pos) + replacement + valid.slice(pos + 1);
      return !isValidCreditCode(mutated);
    }),
    { numRuns: 1000 },
  );
  t.pass('single-character errors rejected');
});
