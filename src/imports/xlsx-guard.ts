/**
 * An .xlsx is a zip file, and a zip of a few hundred KB can inflate to gigabytes (a "zip bomb"): ExcelJS
 * would unzip it into memory and the process would run out of it. So before ExcelJS sees an uploaded
 * workbook we read the zip ourselves:
 *
 * - the End Of Central Directory record and every central-directory entry (ZIP64, encryption and
 *   compression methods other than stored/deflate are refused: Excel and WPS never need them here);
 * - the local headers must match the central directory and lie back to back with no gaps (a streaming
 *   unzipper reads local headers, so nothing may hide between them);
 * - limits on the number of entries, the total uncompressed size, the size and number of shared
 *   strings (xl/sharedStrings.xml), and the compression ratio of large entries;
 * - every entry is then actually inflated with the output capped at its declared size (zlib's
 *   maxOutputLength), so a file whose declared sizes lie is refused as soon as it exceeds them, and its
 *   CRC is checked.
 *
 * `checkXlsx` answers undefined when the file is fine, else the Chinese reason to show.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export interface XlsxLimits {
  /** Sum of the entries' uncompressed sizes. */
  maxTotalBytes: number;
  maxEntries: number;
  /** Uncompressed size of xl/sharedStrings.xml. */
  maxSharedStringsBytes: number;
  /** Number of <si> items in xl/sharedStrings.xml. */
  maxSharedStrings: number;
  /** Largest uncompressed/compressed ratio allowed for an entry over `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
}

/**
 * Generous for real lists (50,000 rows of the supplier template are about 60 MB of XML), far below
 * what would hurt a 2-core, few-GB instance.
 */
export const XLSX_LIMITS: XlsxLimits = {
  maxTotalBytes: 150 * 1024 * 1024,
  maxEntries: 2000,
  maxSharedStringsBytes: 60 * 1024 * 1024,
  maxSharedStrings: 1_000_000,
  maxRatio: 250,
  ratioFloorBytes: 1024 * 1024,
};

const inflateRaw = promisify(zlib.inflateRaw) as (buf: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;
const crc32 = (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32;

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const MB = 1024 * 1024;

export const CORRUPT_XLSX = '无法读取该 Excel 文件：文件可能已损坏，或不是 .xlsx 格式（旧版 .xls 请另存为 .xlsx）。';
const structure = (detail: string) => `该 Excel 文件的结构异常（${detail}），已拒绝。请在 Excel 或 WPS 中打开后另存为 .xlsx 再上传。`;

interface Entry {
  name: string; flags: number; method: number; crc: number; compressed: number; size: number;
  /** The local record: header at `offset`, data from `dataStart`, ends (descriptor included) at `end`. */
  offset: number; dataStart: number; end: number;
  /** The central-directory record's bytes. */
  central: [number, number];
}

class Refused extends Error {}

function findEocd(buf: Buffer): number {
  const last = buf.length - 22;
  const first = Math.max(0, last - 0xffff);
  for (let i = last; i >= first; i--) if (buf.readUInt32LE(i) === EOCD) return i;
  return -1;
}

/** The central directory, checked against the local headers. Throws Refused with the reason. */
function readEntries(buf: Buffer, limits: XlsxLimits): { entries: Entry[]; cdOffset: number } {
  if (buf.length < 22) throw new Refused(CORRUPT_XLSX);
  const eocd = findEocd(buf);
  if (eocd < 0) throw new Refused(CORRUPT_XLSX);
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new Refused(structure('不支持 ZIP64 格式'));
  if (buf.readUInt16LE(eocd + 4) !== 0 || buf.readUInt16LE(eocd + 6) !== 0 || buf.readUInt16LE(eocd + 8) !== count) throw new Refused(structure('分卷压缩文件'));
  if (count > limits.maxEntries) throw new Refused(`该 Excel 文件包含的内部文件过多（${count} 个，上限 ${limits.maxEntries} 个），已拒绝。`);
  if (cdOffset + cdSize > eocd) throw new Refused(CORRUPT_XLSX);

  const entries: Entry[] = [];
  const names = new Set<string>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || buf.readUInt32LE(p) !== CENTRAL) throw new Refused(CORRUPT_XLSX);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const offset = buf.readUInt32LE(p + 42);
    if (p + 46 + nameLen > buf.length) throw new Refused(CORRUPT_XLSX);
    const nameBytes = buf.subarray(p + 46, p + 46 + nameLen);
    const name = nameBytes.toString('utf8');
    const central: [number, number] = [p, p + 46 + nameLen + extraLen + commentLen];
    p = central[1];
    if (compressed === 0xffffffff || size === 0xffffffff || offset === 0xffffffff) throw new Refused(structure('不支持 ZIP64 格式'));
    if (flags & 0x1) throw new Refused('该 Excel 文件已加密：请取消密码保护后另存为 .xlsx 再上传。');
    if (method !== 0 && method !== 8) throw new Refused(structure('不支持的压缩方式'));
    if (method === 0 && compressed !== size) throw new Refused(structure('声明的大小与实际内容不符'));
    if (names.has(name)) throw new Refused(structure('内部文件重名'));
    names.add(name);

    // The local header must say the same as the central directory.
    if (offset + 30 > cdOffset || buf.readUInt32LE(offset) !== LOCAL) throw new Refused(CORRUPT_XLSX);
    const localMethod = buf.readUInt16LE(offset + 8);
    const localNameLen = buf.readUInt16LE(offset + 26);
    const localExtraLen = buf.readUInt16LE(offset + 28);
    if (localMethod !== method || !buf.subarray(offset + 30, offset + 30 + localNameLen).equals(nameBytes)) throw new Refused(structure('文件头不一致'));
    if (!(flags & 0x8)) {
      const localCompressed = buf.readUInt32LE(offset + 18);
      const localSize = buf.readUInt32LE(offset + 22);
      if (localCompressed !== compressed || localSize !== size) throw new Refused(structure('声明的大小与实际内容不符'));
    }
    const dataStart = offset + 30 + localNameLen + localExtraLen;
    if (dataStart + compressed > cdOffset) throw new Refused(CORRUPT_XLSX);
    entries.push({ name, flags, method, crc, compressed, size, offset, dataStart, end: 0, central });
  }
  if (p !== cdOffset + cdSize) throw new Refused(CORRUPT_XLSX);

  // Back to back from the first byte to the central directory: nothing hidden between the entries.
  const sorted = [...entries].sort((a, b) => a.offset - b.offset);
  let expected = 0;
  for (const e of sorted) {
    if (e.offset !== expected) throw new Refused(structure('内部文件之间有多余的数据'));
    expected = e.dataStart + e.compressed;
    if (e.flags & 0x8) {
      // Data descriptor: optional signature, crc, compressed and uncompressed size (32-bit).
      const hasSig = expected + 4 <= buf.length && buf.readUInt32LE(expected) === DESCRIPTOR;
      const at = expected + (hasSig ? 4 : 0);
      if (at + 12 > cdOffset || buf.readUInt32LE(at + 4) !== e.compressed || buf.readUInt32LE(at + 8) !== e.size) {
        throw new Refused(structure('声明的大小与实际内容不符'));
      }
      expected = at + 12;
    }
    e.end = expected;
  }
  if (expected !== cdOffset) throw new Refused(structure('内部文件之间有多余的数据'));
  return { entries, cdOffset };
}

const countOf = (haystack: Buffer, needle: Buffer) => {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
};

/**
 * Checks a workbook before anything unzips it. Undefined when it may be read; else the Chinese reason
 * (a corrupt file, a zip bomb, lying sizes, too many entries or shared strings).
 */
export async function checkXlsx(buf: Buffer, limits: XlsxLimits = XLSX_LIMITS): Promise<string | undefined> {
  try {
    const { entries } = readEntries(buf, limits);
    const names = new Set(entries.map((e) => e.name));
    if (!names.has('[Content_Types].xml') || !names.has('xl/workbook.xml')) throw new Refused(CORRUPT_XLSX);
    const total = entries.reduce((sum, e) => sum + e.size, 0);
    if (total > limits.maxTotalBytes) {
      throw new Refused(`该 Excel 文件解压后约 ${Math.ceil(total / MB)} MB，超过 ${limits.maxTotalBytes / MB} MB 上限（可能是“压缩炸弹”），已拒绝。请拆分后分批导入。`);
    }
    for (const e of entries) {
      const shared = e.name === 'xl/sharedStrings.xml';
      if (shared && e.size > limits.maxSharedStringsBytes) {
        throw new Refused(`该 Excel 文件的共享字符串表解压后约 ${Math.ceil(e.size / MB)} MB，超过 ${limits.maxSharedStringsBytes / MB} MB 上限，已拒绝。请拆分后分批导入。`);
      }
      if (e.size >= limits.ratioFloorBytes && e.size > e.compressed * limits.maxRatio) {
        throw new Refused(`该 Excel 文件的压缩比异常（${e.name} 压缩了 ${Math.round(e.size / Math.max(1, e.compressed))} 倍，疑似“压缩炸弹”），已拒绝。`);
      }
    }
    // Inflate for real, never past the declared size: lying headers end here, not in ExcelJS.
    for (const e of entries) {
      const data = buf.subarray(e.dataStart, e.dataStart + e.compressed);
      let out: Buffer;
      if (e.method === 0) out = data;
      else {
        try {
          out = await inflateRaw(data, { maxOutputLength: Math.max(1, e.size) });
        } catch (err) {
          if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
            throw new Refused(structure(`${e.name} 解压后超过声明的大小，疑似“压缩炸弹”`));
          }
          throw new Refused(CORRUPT_XLSX);
        }
      }
      if (out.length !== e.size) throw new Refused(structure('声明的大小与实际内容不符'));
      if (crc32 && crc32(out) >>> 0 !== e.crc >>> 0) throw new Refused(CORRUPT_XLSX);
      if (e.name === 'xl/sharedStrings.xml') {
        const items = countOf(out, Buffer.from('<si>')) + countOf(out, Buffer.from('<si '));
        if (items > limits.maxSharedStrings) {
          throw new Refused(`该 Excel 文件的共享字符串有 ${items.toLocaleString('zh-CN')} 条，超过 ${limits.maxSharedStrings.toLocaleString('zh-CN')} 条上限，已拒绝。请拆分后分批导入。`);
        }
      }
    }
    return undefined;
  } catch (err) {
    if (err instanceof Refused) return err.message;
    if (err instanceof RangeError) return CORRUPT_XLSX; // a read past the end: a truncated file
    throw err;
  }
}

/** Where an entry goes for streaming: what every worksheet needs first, the worksheets, then the rest. */
function streamingRank(name: string): number {
  const first = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'xl/styles.xml'].indexOf(name);
  if (first >= 0) return first;
  return name.startsWith('xl/worksheets/') ? 4 : 5;
}

/**
 * The same workbook with its entries in the order ExcelJS's streaming reader needs: workbook relations,
 * workbook, shared strings and styles, then the worksheets, then the rest. ExcelJS 4.4 now and then misses
 * xl/workbook.xml when it is the archive's last entry (exceljs issue #3064: "Cannot read properties of
 * undefined (reading 'sheets')"), and ExcelJS itself (our templates and exports) stores it last, so about
 * one read in a hundred of such a file failed. Entries are copied byte for byte (nothing is re-compressed),
 * only their offsets change. Only for a file checkXlsx accepted.
 */
export function orderForStreaming(buf: Buffer): Buffer {
  const { entries } = readEntries(buf, { ...XLSX_LIMITS, maxEntries: Number.MAX_SAFE_INTEGER });
  const ordered = entries.map((e, i) => ({ e, i })).sort((a, b) => streamingRank(a.e.name) - streamingRank(b.e.name) || a.i - b.i).map((x) => x.e);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let at = 0;
  for (const e of ordered) {
    locals.push(buf.subarray(e.offset, e.end));
    const central = Buffer.from(buf.subarray(e.central[0], e.central[1]));
    central.writeUInt32LE(at, 42);
    centrals.push(central);
    at += e.end - e.offset;
  }
  const eocdAt = findEocd(buf);
  // readEntries checked that the central directory ends where its end record starts: same size, new offset.
  const eocd = Buffer.from(buf.subarray(eocdAt));
  eocd.writeUInt32LE(at, 16);
  return Buffer.concat([...locals, ...centrals, eocd]);
}
