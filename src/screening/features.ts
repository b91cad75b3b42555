/**
 * Text features for screening prioritisation: a tokenizer and a TF-IDF
 * vectoriser producing a compressed sparse row (CSR) matrix backed by typed
 * arrays. The matrix is built once per dataset; classifiers only read it.
 *
 * Defaults follow scikit-learn's TfidfVectorizer as ASReview (v1) configures it
 * (lower-case, tokens of two or more word characters, English stop words,
 * raw term counts, smooth idf, l2-normalised rows) so the baseline model can be
 * reproduced; bigrams and sublinear tf are options.
 */

/**
 * English stop words: the Glasgow Information Retrieval Group list, the list
 * scikit-learn ships as ENGLISH_STOP_WORDS (and therefore the list ASReview's
 * default TF-IDF uses): all 318 words, including the misspelt "amoungst"
 * and the apostrophe-less "couldnt", "hasnt" and "noone" it has instead of
 * "couldn't", "hasn't" and "no one".
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set((
  'a about above across after afterwards again against all almost alone along already also although always am among ' +
  'amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back be became because ' +
  'become becomes becoming been before beforehand behind being below beside besides between beyond bill both bottom ' +
  'but by call can cannot cant co con could couldnt cry de describe detail do done down due during each eg eight ' +
  'either eleven else elsewhere empty enough etc even ever every everyone everything everywhere except few fifteen ' +
  'fifty fill find fire first five for former formerly forty found four from front full further get give go had has ' +
  'hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his how however hundred i ' +
  'ie if in inc indeed interest into is it its itself keep last latter latterly least less ltd made many may me ' +
  'meanwhile might mill mine more moreover most mostly move much must my myself name namely neither never ' +
  'nevertheless next nine no nobody none noone nor not nothing now nowhere of off often on once one only onto or ' +
  'other others otherwise our ours ourselves out over own part per perhaps please put rather re same see seem seemed ' +
  'seeming seems serious several she should show side since sincere six sixty so some somehow someone something ' +
  'sometime sometimes somewhere still such system take ten than that the their them themselves then thence there ' +
  'thereafter thereby therefore therein thereupon these they thick thin third this those though three through ' +
  'throughout thru thus to together too top toward towards twelve twenty two un under until up upon us very via was ' +
  'we well were what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever ' +
  'whether which while whither who whoever whole whom whose why will with within without would yet you your yours ' +
  'yourself yourselves'
).split(' '))

export interface TokenizerOptions {
  /** Words to drop; `false` keeps every token. Default: ENGLISH_STOP_WORDS. */
  stopWords?: ReadonlySet<string> | false
  /** Shortest token kept, in characters (scikit-learn keeps 2 and more). Default 2. */
  minTokenLength?: number
}

// Letters (with combining marks) and digits of any script; everything else separates tokens.
const TOKEN = /[\p{L}\p{M}\p{N}]+/gu

/** Lower-cased word tokens of a text, stop words removed. */
export function tokenize(text: string, options: TokenizerOptions = {}): string[] {
  const stopWords = options.stopWords === undefined ? ENGLISH_STOP_WORDS : options.stopWords
  const minLength = options.minTokenLength ?? 2
  const tokens: string[] = []
  const normalised = text.normalize('NFKC').toLowerCase()
  for (const match of normalised.matchAll(TOKEN)) {
    const token = match[0]
    if (token.length < minLength) continue
    if (stopWords && stopWords.has(token)) continue
    tokens.push(token)
  }
  return tokens
}

/** Compressed sparse row matrix: row i has entries indices[indptr[i]..indptr[i+1]) with values data[…]. */
export interface SparseMatrix {
  rows: number
  cols: number
  indptr: Int32Array
  indices: Int32Array
  data: Float32Array
}

export interface TfidfOptions extends TokenizerOptions {
  /** Longest word n-gram: 1 for unigrams, 2 for unigrams + bigrams. Default 1. */
  ngramMax?: number
  /** Replace the raw count tf by 1 + ln(tf). Default false. */
  sublinearTf?: boolean
  /** Drop terms found in fewer documents than this. Default 1 (keep all). */
  minDf?: number
  /** Drop terms found in more than this fraction of documents. Default 1 (keep all). */
  maxDfRatio?: number
}

export interface TfidfFeatures {
  matrix: SparseMatrix
  /** vocabulary[j] is the term of column j ("word" or "word word"). */
  vocabulary: string[]
  /** idf[j] = ln((1 + n) / (1 + df_j)) + 1 (smooth idf, as scikit-learn). */
  idf: Float64Array
  options: Required<Pick<TfidfOptions, 'ngramMax' | 'sublinearTf' | 'minDf' | 'maxDfRatio'>>
}

/** The text a screening model reads for a record: title and abstract joined. */
export function recordText(record: { title?: string | null, abstract?: string | null }): string {
  return `${record.title ?? ''} ${record.abstract ?? ''}`
}

/**
 * TF-IDF matrix of the given texts (one row per text). The vocabulary is
 * learnt from these same texts, labelled or not, as ASReview does: in
 * screening every record is known in advance.
 *
 * Bigrams are formed after stop-word removal (as scikit-learn does), so
 * "quality of life" yields the bigram "quality life".
 */
export function buildTfidf(texts: readonly string[], options: TfidfOptions = {}): TfidfFeatures {
  const ngramMax = options.ngramMax ?? 1
  const sublinearTf = options.sublinearTf ?? false
  const minDf = options.minDf ?? 1
  const maxDfRatio = options.maxDfRatio ?? 1
  if (!Number.isInteger(ngramMax) || ngramMax < 1) throw new RangeError(`ngramMax must be a positive integer (got ${ngramMax})`)
  const tokenizerOptions: TokenizerOptions = { stopWords: options.stopWords, minTokenLength: options.minTokenLength }

  // Term ids are shared by all n-gram lengths. Unigrams are looked up by string;
  // bigrams by the numeric pair of their unigram ids (much cheaper than
  // building and hashing a string per bigram occurrence); longer n-grams by string.
  const unigramIds = new Map<string, number>()
  const bigramIds = new PairIdMap()
  const longIds = new Map<string, number>()
  const termText: (string | undefined)[] = []
  const termParts: number[] = [] // for bigrams: first unigram id · 2^26 + second; −1 otherwise
  let df = new Int32Array(1024)
  let docCount = new Int32Array(1024)
  const touched: number[] = []
  // Per document: sorted term ids and their counts, concatenated.
  const docPtr = new Int32Array(texts.length + 1)
  let docTerms = new Int32Array(1 << 16)
  let docCounts = new Int32Array(1 << 16)
  let used = 0
  const BIGRAM_SHIFT = 2 ** 26
  const newTerm = (text: string | undefined, parts: number) => {
    const id = termText.length
    termText.push(text)
    termParts.push(parts)
    if (id >= docCount.length) {
      df = grow(df, docCount.length * 2)
      docCount = grow(docCount, docCount.length * 2)
    }
    return id
  }
  const count = (id: number) => {
    if (docCount[id]++ === 0) touched.push(id)
  }

  for (let d = 0; d < texts.length; d++) {
    const tokens = tokenize(texts[d] ?? '', tokenizerOptions)
    const wordIds = new Int32Array(tokens.length)
    for (let i = 0; i < tokens.length; i++) {
      let id = unigramIds.get(tokens[i])
      if (id === undefined) {
        id = newTerm(tokens[i], -1)
        unigramIds.set(tokens[i], id)
      }
      wordIds[i] = id
      count(id)
    }
    if (ngramMax >= 2) {
      if (termText.length >= BIGRAM_SHIFT) throw new RangeError('vocabulary too large for bigram keys')
      for (let i = 0; i + 1 < tokens.length; i++) {
        const first = wordIds[i]
        const second = wordIds[i + 1]
        let id = bigramIds.get(first, second)
        if (id < 0) {
          id = newTerm(undefined, first * BIGRAM_SHIFT + second)
          bigramIds.set(first, second, id)
        }
        count(id)
      }
    }
    for (let n = 3; n <= ngramMax; n++) {
      for (let i = 0; i + n <= tokens.length; i++) {
        const gram = tokens.slice(i, i + n).join(' ')
        let id = longIds.get(gram)
        if (id === undefined) {
          id = newTerm(gram, -1)
          longIds.set(gram, id)
        }
        count(id)
      }
    }
    const ids = Int32Array.from(touched).sort()
    touched.length = 0
    if (used + ids.length > docTerms.length) {
      const size = Math.max(docTerms.length * 2, used + ids.length)
      docTerms = grow(docTerms, size)
      docCounts = grow(docCounts, size)
    }
    for (const id of ids) {
      docTerms[used] = id
      docCounts[used] = docCount[id]
      docCount[id] = 0
      df[id]++
      used++
    }
    docPtr[d + 1] = used
  }

  // Keep terms within the document-frequency bounds; renumber the survivors.
  const n = texts.length
  const maxDf = Math.floor(maxDfRatio * n)
  const termCount = termText.length
  const column = new Int32Array(termCount).fill(-1)
  const vocabulary: string[] = []
  const idfValues: number[] = []
  for (let id = 0; id < termCount; id++) {
    if (df[id] < minDf || df[id] > maxDf) continue
    column[id] = vocabulary.length
    const parts = termParts[id]
    vocabulary.push(termText[id] ?? `${termText[Math.floor(parts / BIGRAM_SHIFT)]} ${termText[parts % BIGRAM_SHIFT]}`)
    idfValues.push(Math.log((1 + n) / (1 + df[id])) + 1)
  }
  const idf = Float64Array.from(idfValues)

  const indptr = new Int32Array(n + 1)
  const indices = new Int32Array(used)
  const data = new Float32Array(used)
  let nnz = 0
  for (let d = 0; d < n; d++) {
    const start = nnz
    let norm = 0
    for (let p = docPtr[d]; p < docPtr[d + 1]; p++) {
      const col = column[docTerms[p]]
      if (col < 0) continue
      const tf = sublinearTf ? 1 + Math.log(docCounts[p]) : docCounts[p]
      const value = tf * idf[col]
      indices[nnz] = col
      data[nnz] = value
      norm += value * value
      nnz++
    }
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm)
      for (let p = start; p < nnz; p++) data[p] *= scale
    }
    indptr[d + 1] = nnz
  }
  // Renumbering preserves the order of surviving ids, so each row stays sorted by column.
  return {
    matrix: { rows: n, cols: vocabulary.length, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) },
    vocabulary,
    idf,
    options: { ngramMax, sublinearTf, minDf, maxDfRatio }
  }
}

/**
 * Open-addressing hash map from a pair of non-negative int32 ids to an int32
 * value, on typed arrays: a JavaScript Map keyed by a combined number is
 * several times slower once keys exceed the small-integer range, and bigram
 * tables hold millions of entries.
 */
class PairIdMap {
  private firsts = new Int32Array(1 << 16).fill(-1)
  private seconds = new Int32Array(1 << 16)
  private values = new Int32Array(1 << 16)
  private size = 0

  private slot(first: number, second: number, mask: number): number {
    let h = Math.imul(first, 0x9e3779b1) ^ Math.imul(second + 0x7f4a7c15, 0x85ebca77)
    h ^= h >>> 15
    h = Math.imul(h, 0x2c1b3c6d)
    h ^= h >>> 12
    let i = h & mask
    while (this.firsts[i] !== -1 && (this.firsts[i] !== first || this.seconds[i] !== second)) i = (i + 1) & mask
    return i
  }

  /** The value, or −1 when the pair is absent. */
  get(first: number, second: number): number {
    const i = this.slot(first, second, this.firsts.length - 1)
    return this.firsts[i] === -1 ? -1 : this.values[i]
  }

  set(first: number, second: number, value: number): void {
    if ((this.size + 1) * 2 > this.firsts.length) this.rehash()
    const i = this.slot(first, second, this.firsts.length - 1)
    if (this.firsts[i] === -1) this.size++
    this.firsts[i] = first
    this.seconds[i] = second
    this.values[i] = value
  }

  private rehash(): void {
    const { firsts, seconds, values } = this
    const capacity = firsts.length * 2
    this.firsts = new Int32Array(capacity).fill(-1)
    this.seconds = new Int32Array(capacity)
    this.values = new Int32Array(capacity)
    for (let j = 0; j < firsts.length; j++) {
      if (firsts[j] === -1) continue
      const i = this.slot(firsts[j], seconds[j], capacity - 1)
      this.firsts[i] = firsts[j]
      this.seconds[i] = seconds[j]
      this.values[i] = values[j]
    }
  }
}

function grow<T extends Int32Array>(array: T, size: number): T {
  const next = new Int32Array(size) as T
  next.set(array)
  return next
}

/** Dot product of row `row` of the matrix with a dense weight vector. */
export function rowDot(matrix: SparseMatrix, row: number, weights: ArrayLike<number>): number {
  let sum = 0
  for (let p = matrix.indptr[row]; p < matrix.indptr[row + 1]; p++) sum += matrix.data[p] * weights[matrix.indices[p]]
  return sum
}
