// Citation.js ships no types; the tests use only `new Cite(text).data` (CSL-JSON items).
declare module '@citation-js/core' {
  export class Cite {
    constructor(data: unknown)
    data: unknown[]
  }
}
declare module '@citation-js/plugin-ris'
