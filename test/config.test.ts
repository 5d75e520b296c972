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
