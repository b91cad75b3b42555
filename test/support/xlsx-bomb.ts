/**
 * Hand-made ZIP archives and XLSX workbooks for the import-limit tests and
 * bench/limits.ts: entries are deflated as streams from repeated content,
 * so a part inflating to gigabytes costs a few megabytes and little memory
 * to make. Declared sizes can be set to lie, as an attacker's would.
 */
import { crc32, createDeflateRaw } from 'node:zlib'

export interface ZipPart {
  name: string
  /** The content, as pieces (generated lazily for big parts). */
  pieces: Iterable<Buffer | string>
  /** The uncompressed size to declare instead of the real one. */
  declaredSize?: number
}

async function deflate(pieces: Iterable<Buffer | string>): Promise<{ data: Buffer; size: number; crc: number }> {
  const deflater = createDeflateRaw({ level: 9 })
  const out: Buffer[] = []
  deflater.on('data', (chunk: Buffer) => out.push(chunk))
  const ended = new Promise((resolve, reject) => { deflater.on('end', resolve); deflater.on('error', reject) })
  let size = 0
  let crc = 0
  for (const piece of pieces) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece
    size += bytes.length
    crc = crc32(bytes, crc)
    if (!deflater.write(bytes)) await new Promise((resolve) => deflater.once('drain', resolve))
  }
  deflater.end()
  await ended
  return { data: Buffer.concat(out), size, crc }
}

/** A ZIP archive of the parts (deflated; sizes above 4 GiB - 1 are declared as 0xffffffff, which readers must not trust). */
export async function zipArchive(parts: ZipPart[]): Promise<Buffer> {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const part of parts) {
    const { data, size, crc } = await deflate(part.pieces)
    const declared = Math.min(part.declaredSize ?? size, 0xfffffffe)
    const name = Buffer.from(part.name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(8, 8)
    local.writeUInt32LE(crc >>> 0, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(declared, 22); local.writeUInt16LE(name.length, 26)
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0); entry.writeUInt16LE(20, 4); entry.writeUInt16LE(20, 6); entry.writeUInt16LE(0x0800, 8); entry.writeUInt16LE(8, 10)
    entry.writeUInt32LE(crc >>> 0, 16); entry.writeUInt32LE(data.length, 20); entry.writeUInt32LE(declared, 24); entry.writeUInt16LE(name.length, 28)
    entry.writeUInt32LE(offset, 42)
    locals.push(local, name, data)
    central.push(entry, name)
    offset += local.length + name.length + data.length
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(parts.length, 8); end.writeUInt16LE(parts.length, 10)
  end.writeUInt32LE(directory.length, 12); end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/** `piece` repeated until `bytes` bytes, in pieces of about 1 MiB. */
export function* repeated(piece: string, bytes: number): Generator<Buffer> {
  const block = Buffer.from(piece.repeat(Math.max(1, Math.floor((1 << 20) / Buffer.byteLength(piece)))))
  for (let left = bytes; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left)
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * An XLSX workbook with one worksheet: `rows` give the cells (strings become shared strings), and
 * `sharedStrings`/`sheet` may replace the generated XML of those parts (bombs).
 */
export async function xlsxWorkbook(options: {
  rows?: string[][]
  sharedStrings?: Iterable<Buffer | string>
  sheet?: Iterable<Buffer | string>
  declaredSizes?: Record<string, number>
}): Promise<Buffer> {
  const strings: string[] = []
  const rowsXml = (options.rows ?? []).map((cells, r) => `<row r="${r + 1}">${cells.map((cell, c) => {
    strings.push(cell)
    return `<c r="${String.fromCharCode(65 + c)}${r + 1}" t="s"><v>${strings.length - 1}</v></c>`
  }).join('')}</row>`).join('')
  const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
  const parts: ZipPart[] = [
    { name: '[Content_Types].xml', pieces: [`${xml}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`] },
    { name: '_rels/.rels', pieces: [`${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`] },
    { name: 'xl/workbook.xml', pieces: [`${xml}<workbook xmlns="${main}" xmlns:r="${rel}"><sheets><sheet name="references" sheetId="1" r:id="rId1"/></sheets></workbook>`] },
    { name: 'xl/_rels/workbook.xml.rels', pieces: [`${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`] },
    { name: 'xl/sharedStrings.xml', pieces: options.sharedStrings ?? [`${xml}<sst xmlns="${main}" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t xml:space="preserve">${escapeXml(s)}</t></si>`).join('')}</sst>`] },
    { name: 'xl/worksheets/sheet1.xml', pieces: options.sheet ?? [`${xml}<worksheet xmlns="${main}"><sheetData>${rowsXml}</sheetData></worksheet>`] }
  ]
  for (const part of parts) part.declaredSize = options.declaredSizes?.[part.name]
  return zipArchive(parts)
}

/** The opening and closing of a shared-strings part, around generated <si> elements. */
export const SHARED_STRINGS_OPEN = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
export const SHARED_STRINGS_CLOSE = '</sst>'
export const SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
export const SHEET_CLOSE = '</sheetData></worksheet>'
