import t from 'tap'
import { decodeByteChunks, decodeBytes, detectEncoding, isValidUtf8 } from '../../src/references/encoding.ts'

const sample = 'TY  - JOUR\r\nAU  - Müller, Jörg\r\nTI  - Café – naïve “quotes”\r\nER  - \r\n'

function utf16be(text: string): Uint8Array {
  const le = Buffer.from(text, 'utf16le')
  const be = Buffer.alloc(le.length)
  for (let i = 0; i < le.length; i += 2) {
    be[i] = le[i + 1]
    be[i + 1] = le[i]
  }
  return be
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}

async function decodeInChunks(bytes: Uint8Array, size: number, encoding = detectEncoding(bytes).encoding): Promise<string> {
  async function* chunks() {
    for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size)
  }
  let text = ''
  for await (const part of decodeByteChunks(chunks(), encoding)) text += part
  return text
}

t.test('byte order marks decide the encoding', async (t) => {
  t.same(detectEncoding(concat(Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample))), { encoding: 'utf-8', bom: true })
  t.same(detectEncoding(concat(Buffer.from([0xff, 0xfe]), Buffer.from(sample, 'utf16le'))), { encoding: 'utf-16le', bom: true })
  t.same(detectEncoding(concat(Buffer.from([0xfe, 0xff]), utf16be(sample))), { encoding: 'utf-16be', bom: true })
})

t.test('UTF-16 without BOM is recognised from its NUL bytes', async (t) => {
  t.same(detectEncoding(Buffer.from(sample, 'utf16le')), { encoding: 'utf-16le', bom: false })
  t.same(detectEncoding(utf16be(sample)), { encoding: 'utf-16be', bom: false })
})

t.test('valid UTF-8 stays UTF-8; other bytes fall back to Windows-1252', async (t) => {
  t.equal(detectEncoding(Buffer.from(sample)).encoding, 'utf-8')
  const latin = Buffer.from(sample.replace(/[–“”]/g, '-'), 'latin1')
  t.equal(detectEncoding(latin).encoding, 'windows-1252')
  t.equal(decodeBytes(latin), sample.replace(/[–“”]/g, '-'))
  // Windows-1252 curly quotes and en dash (0x93, 0x94, 0x96) are not Latin-1 controls
  t.equal(decodeBytes(Buffer.from([0x93, 0x41, 0x94, 0x20, 0x96])), '“A” –')
  t.ok(isValidUtf8(Buffer.from('é').subarray(0, 1)), 'a sample may end inside a character')
  t.notOk(isValidUtf8(Buffer.from([0x41, 0xe9, 0x42])))
})

t.test('streaming decode gives the same text whatever the chunk size, BOM removed', async (t) => {
  const inputs: Array<[string, Uint8Array]> = [
    ['utf-8 with BOM', concat(Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample))],
    ['utf-8', Buffer.from(sample)],
    ['utf-16le with BOM', concat(Buffer.from([0xff, 0xfe]), Buffer.from(sample, 'utf16le'))],
    ['utf-16be without BOM', utf16be(sample)],
    ['4-byte characters', Buffer.from(`${sample}𝛼𝛽 😀\n`)]
  ]
  for (const [name, bytes] of inputs) {
    const expected = name === '4-byte characters' ? `${sample}𝛼𝛽 😀\n` : sample
    for (const size of [1, 2, 3, 7, 1 << 16]) {
      t.equal(await decodeInChunks(bytes, size), expected, `${name} in ${size}-byte chunks`)
    }
  }
})

t.test('invalid UTF-8 after a valid beginning switches the rest to Windows-1252', async (t) => {
  const head = Buffer.from('TY  - JOUR\nTI  - Müller\n'.repeat(10))
  const tail = Buffer.from('AU  - Garc\xeda, Jos\xe9\nER  - \n', 'latin1')
  const bytes = concat(head, tail)
  t.equal(detectEncoding(head).encoding, 'utf-8')
  const text = await decodeInChunks(bytes, 64, 'utf-8')
  t.ok(text.startsWith('TY  - JOUR\nTI  - Müller\n'))
  t.ok(text.endsWith('AU  - García, José\nER  - \n'), 'the Latin-1 part is decoded, not replaced by U+FFFD')
  t.notOk(text.includes('\ufffd'))
})

t.test('a file ending inside a UTF-8 character keeps its bytes', async (t) => {
  const bytes = concat(Buffer.from('abc'), Buffer.from([0xe2, 0x82]))
  const text = await decodeInChunks(bytes, 2, 'utf-8')
  t.equal(text.slice(0, 3), 'abc')
  t.equal(text.length, 5)
})
