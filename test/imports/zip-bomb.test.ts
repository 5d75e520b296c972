/**
 * Zip bombs and broken workbooks are refused at upload (400, Chinese reason) before anything is stored or
 * unzipped, for the supplier import and the demand import: a workbook whose shared strings inflate to
 * ~200 MB, the same with headers that lie about the size, one with thousands of entries, and garbage
 * behind a zip signature. The readers refuse them too, should such a file reach a job.
 */
import t from 'tap';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { buildTestApp } from '../helper.js';
import { multipart, staffSession, tokenFor } from './fixtures.js';
import { ImportFileError } from '../../src/imports/sheets.js';
import { readSupplierSource as readSource } from '../../src/imports/suppliers.js';
import { readDemandSource } from '../../src/demands/import.js';

interface ZipEntry { name: string; data: Buffer; size: number; crc: number; method: 0 | 8 }

const crc32 = (data: Buffer, prev = 0) => (zlib as unknown as { crc32(d: Buffer, v?: number): number }).crc32(data, prev);

/** An entry deflated in one go. */
function entry(name: string, text: string): ZipEntry {
  const raw = Buffer.from(text);
  return { name, data: zlib.deflateRawSync(raw), size: raw.length, crc: crc32(raw), method: 8 };
}

/** A minimal zip writer: local headers, central directory, end record (sizes in the headers, no descriptors). */
function zip(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, e.data);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(e.method, 10);
    c.writeUInt32LE(e.crc >>> 0, 16);
    c.writeUInt32LE(e.data.length, 20);
    c.writeUInt32LE(e.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/** ~`mb` MB of one repeated character as xl/sharedStrings.xml, deflated as a stream (small memory). */
async function sharedStringsBomb(mb: number): Promise<ZipEntry> {
  const head = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>');
  const tail = Buffer.from('</t></si></sst>');
  const chunk = Buffer.alloc(1024 * 1024, 'A');
  const deflate = zlib.createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const ended = once(deflate, 'end');
  const write = (b: Buffer) => new Promise<void>((resolve) => (deflate.write(b) ? resolve() : deflate.once('drain', () => resolve())));
  let crc = crc32(head);
  await write(head);
  for (let i = 0; i < mb; i++) {
    crc = crc32(chunk, crc);
    await write(chunk);
  }
  crc = crc32(tail, crc);
  deflate.end(tail);
  await ended;
  return { name: 'xl/sharedStrings.xml', data: Buffer.concat(out), size: head.length + tail.length + mb * chunk.length, crc, method: 8 };
}

const sheetXml = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>';
const skeleton = () => [
  entry('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'),
  entry('_rels/.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
  entry('xl/workbook.xml', '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="供应商" sheetId="1" r:id="rId1"/></sheets></workbook>'),
  entry('xl/_rels/workbook.xml.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
  entry('xl/worksheets/sheet1.xml', sheetXml),
];

const bomb = await sharedStringsBomb(200);
const honestBomb = zip([...skeleton(), bomb]);
// The same bytes, but the headers claim the shared strings are 900 bytes: only inflating tells.
const lyingBomb = zip([...skeleton(), { ...bomb, size: 900 }]);
const manyEntries = zip([...skeleton(), ...Array.from({ length: 2500 }, (_, i) => entry(`xl/media/x${i}.xml`, '<x/>'))]);
const garbage = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 7)]);

t.ok(honestBomb.length < 1024 * 1024, `the bomb is small on the wire (${honestBomb.length} bytes for 200 MB)`);

const app = await buildTestApp(t, {}, { background: false });
const { cookie } = await staffSession(app);
const token = await tokenFor(app, cookie);
const stored = async (bucket: string) => app.conn.db!.collection(`${bucket}.files`).countDocuments();

async function upload(url: string, name: string, content: Buffer) {
  const body = multipart({ name, content });
  return app.inject({ method: 'POST', url, headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
}

const cases: Array<[string, Buffer, RegExp]> = [
  ['bomb.xlsx', honestBomb, /解压后约 \d+ MB，超过 \d+ MB 上限/],
  ['liar.xlsx', lyingBomb, /结构异常.*超过声明的大小/],
  ['many.xlsx', manyEntries, /内部文件过多/],
  ['broken.xlsx', garbage, /无法读取该 Excel 文件/],
];

for (const [url, bucket, jobs] of [['/api/v1/imports', 'imports', 'import_jobs'], ['/api/v1/demand-imports', 'demandImports', 'demand_import_jobs']] as const) {
  t.test(`${url} refuses zip bombs and broken workbooks with a 400, storing nothing`, async (t) => {
    for (const [name, content, message] of cases) {
      const started = process.memoryUsage().rss;
      const res = await upload(url, name, content);
      t.equal(res.statusCode, 400, `${name}: 400`);
      t.match(res.json(), { error: 'BAD_REQUEST', message }, `${name}: the Chinese reason`);
      t.ok(process.memoryUsage().rss - started < 150 * 1024 * 1024, `${name}: memory stayed small`);
    }
    t.equal(await stored(bucket), 0, 'no file reached GridFS');
    const jobCount = await app.conn.db!.collection(jobs).countDocuments();
    t.equal(jobCount, 0, 'no job was created');
  });
}

t.test('the readers refuse the same files should one reach a job', async (t) => {
  const drain = async (buffer: Buffer) => {
    for await (const row of readSource('xlsx', buffer)) void row;
  };
  await t.rejects(drain(honestBomb), /上限/);
  t.ok(await drain(honestBomb).catch((err: unknown) => err instanceof ImportFileError), 'an ImportFileError: the job fails with the reason');
  await t.rejects(drain(lyingBomb), /超过声明的大小/);
  await t.rejects(readDemandSource('xlsx', honestBomb), /上限/);
  await t.rejects(readDemandSource('xlsx', lyingBomb), /超过声明的大小/);
});
