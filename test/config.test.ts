import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';

t.test('defaults give the embedded platform on 127.0.0.1:3000 with sample data', async (t) => {
  const config = loadConfig({});
  t.equal(config.PORT, 3000);
  t.equal(config.HOST, '127.0.0.1');
  t.equal(config.SEED_SAMPLE_DATA, true);
  t.equal(config.MONGODB_URI, undefined);
  t.match(config.dataDir, /\/data$/);
});

t.test('SEED_SAMPLE_DATA=false turns sample data off', async (t) => {
  t.equal(loadConfig({ SEED_SAMPLE_DATA: 'false' }).SEED_SAMPLE_DATA, false);
});

t.test('a bad value stops the start with a message naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ MONGODB_URI: 'http://localhost' }, 'MONGODB_URI'],
    [{ MEILI_HOST: 'not a url', MEILI_MASTER_KEY: 'x'.repeat(20) }, 'MEILI_HOST'],
    [{ SEED_SAMPLE_DATA: 'maybe' }, 'SEED_SAMPLE_DATA'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ MEILI_HOST: 'http://127.0.0.1:7700' }, 'MEILI_MASTER_KEY'],
  ];
  for (const [env, name] of cases) {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    t.ok(error instanceof ConfigError, `${JSON.stringify(env)} is refused`);
    t.match((error as Error | undefined)?.message, name, `the message names ${name}`);
  }
});

t.test('empty strings count as unset', async (t) => {
  t.equal(loadConfig({ PORT: '', MONGODB_URI: '' }).PORT, 3000);
});

t.test('TRUST_PROXY takes a hop count or proxy addresses/CIDRs, and refuses a blanket true with what to set instead', async (t) => {
  t.equal(loadConfig({}).TRUST_PROXY, false);
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY, false);
  t.equal(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY, 2);
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.10,::1,fd00::/8' }).TRUST_PROXY, ['10.0.0.0/8', '192.168.1.10', '::1', 'fd00::/8']);
  for (const value of ['true', 'yes', 'on']) {
    let message = '';
    try {
      loadConfig({ TRUST_PROXY: value });
    } catch (err) {
      t.ok(err instanceof ConfigError);
      message = (err as Error).message;
    }
    t.match(message, 'TRUST_PROXY', `${value}: names the variable`);
    t.match(message, /代理层数.*地址|网段/, `${value}: says what to set instead`);
  }
  for (const value of ['bogus', '300.1.1.1', '10.0.0.0/33', '10.0.0.1/8/1', '11']) {
    t.throws(() => loadConfig({ TRUST_PROXY: value }), /TRUST_PROXY/, `${value} is refused`);
  }
});

t.test('login and token limits: defaults, and the token default may not exceed the maximum', async (t) => {
  const config = loadConfig({});
  t.equal(config.LOGIN_ACCOUNT_RATE_LIMIT, 10);
  t.equal(config.LOGIN_ACCOUNT_WINDOW_MINUTES, 15);
  t.equal(config.API_TOKEN_DAYS, 90);
  t.equal(config.API_TOKEN_MAX_DAYS, 365);
  t.throws(() => loadConfig({ API_TOKEN_DAYS: '400' }), /API_TOKEN_MAX_DAYS/);
  t.throws(() => loadConfig({ LOGIN_ACCOUNT_RATE_LIMIT: '0' }), /LOGIN_ACCOUNT_RATE_LIMIT/);
  t.equal(loadConfig({ API_TOKEN_DAYS: '400', API_TOKEN_MAX_DAYS: '500' }).API_TOKEN_DAYS, 400);
});
