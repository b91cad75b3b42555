import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'
import { formatById } from '../../src/references/formats/index.ts'
import {
  UnsupportedFormatError, detectFormat, memorySource, openReferenceFile, openReferenceInput, type ByteSource
} from '../../src/references/import.ts'

const exportsDir = new URL('../../../shared/datasets/exports/', import.meta.url)
const skip = existsSync(fileURLToPath(exportsDir)) ? false : 'shared datasets are not available'
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

const directory = mkdtempSync(join(tmpdir(), 'analylit-import-test-'))
t.teardown(() => rmSync(directory, { recursive: true, force: true }))

function writeTemp(name: string, content: Uint8Array | string): string {
  const path = join(directory, name)
  writeFileSync(path, content)
  return path
}

async function collect(items: AsyncIterable<ParsedItem>): Promise<ParsedItem[]> {
  const all: ParsedItem[] = []
  for await (const item of items) all.push(item)
  return all
}

function recordsOf(items: ParsedItem[]): ReferenceRecord[] {
  return items.flatMap((item) => (item.kind === 'record' ? [item.record] : []))
}

t.test('real exports are detected by content, whatever their extension', { skip }, async (t) => {
  const expected: Array<[string, string, number]> = [
    ['scopus.ris', 'ris', 6],
    ['pubmed_endnote.txt', 'ris', 6],
    ['web_of_science.txt', 'ris', 10],
    ['ovid_psycinfo.ris', 'ris', 6],
    ['_baseline.ris', 'ris', 100]
  ]
  for (const [name, format, count] of expected) {
    const opened = await openReferenceFile(fileURLToPath(new URL(name, exportsDir)))
    t.equal(opened.format.id, format, `${name} format`)
    t.equal(opened.encoding, 'utf-8', `${name} encoding`)
    t.equal(recordsOf(await collect(opened.items)).length, count, `${name} records`)
  }
})

t.test('MEDLINE, Web of Science and BibTeX files are detected, also under a misleading name', async (t) => {
  for (const [name, format] of [['pubmed.nbib', 'medline'], ['savedrecs.txt', 'wos'], ['references.bib', 'bibtex']]) {
    const opened = await openReferenceFile(fixture(name))
    t.equal(opened.format.id, format, name)
    const misnamed = await openReferenceFile(fixture(name), { fileName: 'export.ris' })
    t.equal(misnamed.format.id, format, `${name} uploaded as export.ris`)
  }
})

t.test('the explicit format option wins over detection', async (t) => {
  const opened = await openReferenceFile(fixture('pubmed.nbib'), { format: 'ris' })
  t.equal(opened.format.id, 'ris')
  const items = await collect(opened.items)
  t.equal(recordsOf(items).length, 0, 'MEDLINE read as RIS has no record')
  t.ok(items.every((item) => item.kind === 'error'))
})

t.test('UTF-16 (with and without BOM) and Windows-1252 files are decoded', async (t) => {
  const ris = 'TY  - JOUR\r\nAU  - Müller, Jörg\r\nTI  - “Quoted” café study – part 2\r\nER  - \r\n'
  const utf16 = Buffer.from(ris, 'utf16le')
  // the same record as an old EndNote writes it in Windows-1252: “ ” – are 0x93 0x94 0x96
  const windows1252 = Buffer.from('TY  - JOUR\r\nAU  - M\xfcller, J\xf6rg\r\nTI  - \x93Quoted\x94 caf\xe9 study \x96 part 2\r\nER  - \r\n', 'latin1')
  const cases: Array<[string, Uint8Array, string]> = [
    ['endnote-utf16-bom.ris', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16]), 'utf-16le'],
    ['endnote-utf16.ris', utf16, 'utf-16le'],
    ['legacy.ris', windows1252, 'windows-1252']
  ]
  for (const [name, bytes, encoding] of cases) {
    const opened = await openReferenceFile(writeTemp(name, bytes))
    t.equal(opened.encoding, encoding, `${name} encoding`)
    t.equal(opened.format.id, 'ris', `${name} format`)
    const items = await collect(opened.items)
    t.equal(items.length, 1, `${name} has one item`)
    const [record] = recordsOf(items)
    t.same(record.authors, [{ family: 'Müller', given: 'Jörg' }], `${name} author`)
    t.equal(record.title, '“Quoted” café study – part 2', `${name} title`)
  }
})

t.test('files that are not bibliographies raise UnsupportedFormatError naming the expected formats', async (t) => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
  const cases: Array<[string, Uint8Array | string, RegExp]> = [
    ['picture.png', png, /"picture\.png" is a PNG image/],
    ['paper.pdf', '%PDF-1.7\n%âãÏÓ\n1 0 obj\n', /is a PDF document/],
    ['empty.ris', '', /"empty\.ris" is empty/],
    ['blank.txt', '\r\n  \n', /is empty/],
    ['notes.txt', 'Dear colleague,\nplease find the list of papers attached.\nRegards\n', /not in a recognised bibliography format/],
    ['report.docx', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('\x14\x00\x06\x00word/document.xml')]), /is a Word document/]
  ]
  for (const [name, content, message] of cases) {
    const path = writeTemp(name, content)
    const error = await openReferenceFile(path).then(() => undefined, (caught: unknown) => caught)
    t.ok(error instanceof UnsupportedFormatError, `${name} is refused`)
    t.match((error as Error).message, message, `${name} message says what the file is`)
    t.match((error as Error).message, /Expected a bibliography file in one of these formats: .*RIS \(\.ris, \.txt\).*BibTeX/, `${name} message names the formats`)
  }
})

t.test('a ZIP with spreadsheet parts goes to the XLSX importer when one is registered', async (t) => {
  const workbook = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('\x14\x00\x06\x00[Content_Types].xml...xl/workbook.xml')])
  const path = writeTemp('screening.xlsx', workbook)
  if (formatById('xlsx')) {
    const opened = await openReferenceFile(path)
    t.equal(opened.format.id, 'xlsx')
  } else {
    await t.rejects(openReferenceFile(path), UnsupportedFormatError, 'without an XLSX importer the workbook is refused')
  }
})

t.test('detectFormat uses content first and the extension only to break ties', async (t) => {
  const ris = 'TY  - JOUR\nTI  - x\nER  - \n'
  t.equal(detectFormat(ris)?.id, 'ris')
  t.equal(detectFormat(ris, 'library.bib')?.id, 'ris', 'a .bib name does not make RIS content BibTeX')
  t.equal(detectFormat('just some words', 'library.ris'), undefined, 'a .ris name does not make a text RIS')
  // a head that two formats accept: the file extension decides, else registry order
  const ambiguous = 'PMID- 123\nTI  - A title\n\nTY  - JOUR\nTI  - x\nER  - \n'
  t.equal(detectFormat(ambiguous, 'export.ris')?.id, 'ris')
  t.equal(detectFormat(ambiguous, 'export.nbib')?.id, 'medline')
  t.equal(detectFormat(ambiguous)?.id, 'medline', 'MEDLINE is registered before RIS')
  t.equal(detectFormat('\ufeffTY  - JOUR\nER  - \n')?.id, 'ris', 'a BOM left in the head is ignored')
})

t.test('records stream without reading the whole input', async (t) => {
  let chunksRead = 0
  const record = 'TY  - JOUR\nTI  - A record\nAU  - Doe, Jane\nER  - \n\n'
  const endless: ByteSource = {
    fileName: 'endless.ris',
    async* bytes() {
      const chunk = Buffer.from(record.repeat(200))
      for (;;) {
        chunksRead++
        yield chunk
      }
    }
  }
  const opened = await openReferenceInput(endless)
  t.equal(opened.format.id, 'ris')
  let count = 0
  for await (const item of opened.items) {
    if (item.kind === 'record') count++
    if (count === 1000) break
  }
  t.equal(count, 1000)
  t.ok(chunksRead < 20, `only the chunks needed were read (${chunksRead})`)
})

t.test('memory sources and text inputs can be read again', async (t) => {
  const opened = await openReferenceInput(memorySource(readFileSync(fixture('savedrecs.txt')), 'savedrecs.txt'))
  const first = recordsOf(await collect(opened.items))
  const again = recordsOf(await collect(opened.format.parse(opened.input)))
  t.equal(first.length, 3)
  t.same(again, first)
})
