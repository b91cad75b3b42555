/** svg-to-pdfkit ships no types: the part of its API used here. */
declare module 'svg-to-pdfkit' {
  interface Options {
    width?: number
    height?: number
    fontCallback?: (family: string, bold: boolean, italic: boolean, options: { fauxItalic?: boolean; fauxBold?: boolean }) => string
    warningCallback?: (message: string) => void
  }
  export default function SVGtoPDF(doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: Options): void
}
