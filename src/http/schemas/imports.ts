import { Type } from '@sinclair/typebox'
import { Nullable } from './common.ts'

/** The multipart body of `POST …/imports`, as documented (the route reads the parts as a stream). */
export const ImportMultipart = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'the bibliography file' },
    format: { type: 'string', description: 'skip auto-detection: ris, bibtex, medline, pubmed-xml, csl-json, zotero-rdf, endnote-xml, wos, csv, tsv, xlsx' },
    sourceDatabase: { type: 'string', description: 'the database the records come from, e.g. "PubMed"' },
    importLabels: { type: 'string', enum: ['true', 'false'], description: 'read the labels the file carries as prior decisions (default true)' }
  }
}

export const UrlImportBody = Type.Object({
  url: Type.String({ pattern: '^https?://', maxLength: 4000 }),
  format: Type.Optional(Type.String()),
  sourceDatabase: Type.Optional(Type.String({ maxLength: 200 })),
  importLabels: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const SourceBatch = Type.Object({
  id: Type.String(), kind: Type.String(), fileName: Nullable(Type.String()), format: Nullable(Type.String()),
  encoding: Nullable(Type.String()), sourceDatabase: Nullable(Type.String()),
  recordsRead: Type.Integer(), recordsImported: Type.Integer(), recordErrors: Type.Integer(), taskId: Nullable(Type.String()),
  createdAt: Type.String()
})
