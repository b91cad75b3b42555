/**
 * Duplicate detection over a set of references.
 *
 * Stage 1 links records that share a persistent identifier (PMID, PMCID,
 * arXiv id, DOI). PMIDs, PMCIDs and arXiv ids identify one record each, so
 * they are trusted; a shared DOI is checked first, because databases attach
 * a book's DOI to every chapter, a proceedings DOI to every paper, and the
 * article's DOI to its erratum. A DOI pair is NOT linked when:
 *   - one title is an erratum/retraction/comment notice and the other is not;
 *   - both have PMIDs and they differ (two distinct PubMed records);
 *   - both have titles that are clearly different (trigram/edit similarity
 *     < 0.6 and neither title contains the other) unless first author, year
 *     (±1) and first page all agree — the pattern of a translated title;
 *   - both have first pages that differ while the titles are not
 *     near-identical (chapters of one book).
 * Such pairs are reported in `sharedIdentifierConflicts` and are left to
 * stage 2, which judges them on their bibliographic data like any pair.
 * An identifier carried by more than 20 records (a container DOI pasted on
 * a whole proceedings volume) links only records that also share a title.
 *
 * Stage 2 compares pairs that share a blocking key, so the cost grows about
 * linearly with the number of records: the start and the end of the
 * normalised title, the title's two rarest words (among words found in 2
 * to `maxBlockSize` titles), first author + year, and first page + journal
 * initials (or volume). Pairs already linked are skipped. Blocks larger than
 * `maxBlockSize` are not compared all-against-all: their members are sorted
 * by title and each is compared with its `window` next neighbours. A pair
 * scores points — title similarity, then year, first author, journal, pages,
 * volume, numbers in the title, conflicting identifiers, and the abstract
 * when it can tip the balance — and is linked at DUPLICATE_POINTS or more
 * (see `comparePair` for the weights).
 *
 * Some contradictions veto a link whatever the title says (scoring.ts,
 * `contradiction`): two different DOIs, a conference abstract and a
 * journal article, abstracts of two meetings, venue + year + volume + first
 * page all different. A vetoed pair with alike titles also becomes a
 * cannot-link constraint, so that no third record joins the two. A preprint
 * and its published version (told by the preprint servers' DOI prefixes,
 * venue or type) are two publications of one work: they are never merged
 * but reported in `relatedPairs`.
 *
 * Manual choices always win. Confirmed clusters are joined first; a pair
 * marked not-duplicate is a cannot-link constraint checked at every union,
 * so it is never merged, not even through a chain of other links (links are
 * applied strongest first and a link that would join the two is skipped);
 * records in `splitIds` are never linked automatically, only by a confirmed
 * cluster. When a confirmed cluster itself contains a not-duplicate pair,
 * the not-duplicate mark wins.
 *
 * The primary record of a cluster is the most complete one: one point per
 * non-empty field (title, abstract, authors, year, journal, volume, issue,
 * pages, DOI, PMID, PMCID, keywords, MeSH, URL, ISSN/ISBN, publisher,
 * language) plus two for an abstract and two for a DOI; ties go to the
 * record that comes first in the input (callers pass items in id order).
 */

import {
  ABSTRACT_PREFIX, extractFeatures, IntList, packTrigrams, sortWordHashes, type DedupItem, type Features, type JournalCache,
  type Profiles
} from './features.ts'
import { buildBlocks } from './blocking.ts'
import { comparePair, contradiction, identifierPairObjection, trigramDice, judgeByAbstracts, type MatchContext, type PairVerdict } from './scoring.ts'
import { ConstrainedUnionFind } from './union-find.ts'

export { ABSTRACT_PREFIX, completeness, type DedupItem } from './features.ts'
export { DUPLICATE_POINTS } from './scoring.ts'

export type MatchReason = 'doi' | 'pmid' | 'pmcid' | 'arxiv' | 'bibliographic' | 'manual'

/** One link that joined two records into the same cluster. */
export interface DuplicateLink {
  a: string
  b: string
  reason: MatchReason
  /** 1 for identifier and manual links; for bibliographic links points / 8 capped at 1 (0.5 is the threshold). */
  score: number
  /** Human-readable evidence ("title 0.97", "same first author", "year ±1"…). */
  evidence: string[]
}

export interface DuplicateCluster {
  /** The record to keep (most complete; see the module comment). */
  primaryId: string
  /** All records of the cluster, primary included, in input order. */
  memberIds: string[]
  /** Distinct reasons of the links that formed the cluster. */
  reasons: MatchReason[]
  /** The weakest link's score: the cluster is only as sure as its least sure link. */
  score: number
  /** The links (a spanning tree of the cluster) with their evidence. */
  links: DuplicateLink[]
}

/** Two records that share a DOI but were not linked by it, and why. */
export interface IdentifierConflict {
  a: string
  b: string
  identifier: 'doi' | 'pmcid' | 'arxiv'
  value: string
  why: string
}

/** Two records of one work published twice, and why they are kept apart. */
export interface RelatedPair {
  a: string
  b: string
  why: string
  evidence: string[]
}

export interface DedupOptions {
  /** Pairs a user marked as distinct records: never in the same cluster. */
  notDuplicatePairs?: Array<[string, string]>
  /** Clusters a user confirmed: kept together (more records may join them). */
  confirmedClusters?: string[][]
  /** Records a user split off a cluster: never linked automatically. */
  splitIds?: string[]
  /** Largest block compared all-against-all (default 40). */
  maxBlockSize?: number
  /** Neighbours compared in a larger, title-sorted block (default 8). */
  window?: number
}

export interface DedupResult {
  /** Clusters of two or more records, ordered by their primary's input position. */
  clusters: DuplicateCluster[]
  /** Number of record pairs compared (identifier checks and bibliographic comparisons). */
  comparisons: number
  sharedIdentifierConflicts: IdentifierConflict[]
  /** Records that are distinct publications of one work (a preprint and the article): never merged, shown as related. */
  relatedPairs: RelatedPair[]
}

interface CandidateLink {
  a: number
  b: number
  reason: MatchReason
  score: number
  evidence: string[]
}

/** Identifier groups larger than this are linked only within same-title subgroups. */
const MAX_IDENTIFIER_GROUP = 20

/**
 * Finds clusters of duplicate records. See the module comment for the rules;
 * the result lists only clusters of two or more records.
 */
export function findDuplicateClusters(items: Iterable<DedupItem>, options: DedupOptions = {}): DedupResult {
  const finder = new DuplicateFinder()
  for (const item of items) finder.add(item)
  return finder.finish(options)
}

export interface FinderOptions {
  /**
   * 'kept' (the default): the finder keeps the beginning of each record's
   * abstract. 'on-demand': it keeps only whether there is one
   * (DedupItem.hasAbstract), and finishAsync loads the few abstracts that
   * can tip a comparison (a fraction of a percent of the records).
   */
  abstracts?: 'kept' | 'on-demand'
}

/** Loads the abstracts of records by id (records without one may be left out). */
export type AbstractLoader = (ids: string[]) => Promise<Map<string, string>>

/**
 * findDuplicateClusters for records that arrive a few at a time (read from a
 * database in chunks): each record is reduced to its comparison features as
 * it is added, so memory holds features, never all the records at once.
 */
export class DuplicateFinder {
  private readonly ids: string[] = []
  private readonly indexById = new Map<string, number>()
  private readonly features: Features[] = []
  private readonly words = new IntList()
  private readonly wordStart = new IntList()
  private readonly journals: JournalCache = new Map()
  private readonly keepAbstracts: boolean
  private finished = false

  constructor(options: FinderOptions = {}) {
    this.keepAbstracts = options.abstracts !== 'on-demand'
  }

  /** Adds a record; records must come in input order (it breaks ties in the primary choice). */
  add(item: DedupItem): void {
    if (this.finished) throw new Error('records added after finish()')
    if (this.indexById.has(item.id)) throw new Error(`duplicate item id ${item.id}`)
    const index = this.ids.length
    this.indexById.set(item.id, index)
    this.ids.push(item.id)
    this.wordStart.push(this.words.length)
    this.features.push(extractFeatures(index, item, this.words, this.journals, this.keepAbstracts))
  }

  get size(): number {
    return this.ids.length
  }

  /** The clusters among the records added; called once, with abstracts kept. */
  finish(options: DedupOptions = {}): DedupResult {
    if (!this.keepAbstracts) throw new Error('abstracts are loaded on demand: call finishAsync()')
    return this.compare(options).conclude()
  }

  /** The clusters among the records added, loading the abstracts needed when they are loaded on demand; called once. */
  async finishAsync(options: DedupOptions, loadAbstracts: AbstractLoader): Promise<DedupResult> {
    const run = this.compare(options)
    const wanted = run.pendingRecords()
    if (wanted.length > 0) {
      const abstracts = await loadAbstracts(wanted.map((index) => this.ids[index]))
      run.resolvePending((f) => (abstracts.get(this.ids[f.index]) ?? '').slice(0, ABSTRACT_PREFIX))
    }
    return run.conclude()
  }

  private compare(options: DedupOptions): ClusterRun {
    if (this.finished) throw new Error('finish() was already called')
    this.finished = true
    this.wordStart.push(this.words.length)
    const profiles: Profiles = { ...packTrigrams(this.features), words: this.words.toArray(), wordStart: this.wordStart.toArray() }
    this.words.values = new Int32Array(0)
    this.wordStart.values = new Int32Array(0)
    const abstractOf = this.keepAbstracts ? (f: Features) => f.abstract : undefined
    return new ClusterRun(this.ids, this.indexById, this.features, profiles, options, abstractOf)
  }
}

/**
 * One clustering: identifier links and blocked comparisons at construction,
 * then (when abstracts are loaded on demand) the pairs only abstracts can
 * decide, then the clusters.
 */
class ClusterRun {
  private readonly unionFind: ConstrainedUnionFind
  private readonly splitOff: Uint8Array
  private readonly accepted: CandidateLink[] = []
  private readonly fuzzy: CandidateLink[] = []
  private readonly conflicts: IdentifierConflict[] = []
  private readonly related: RelatedPair[] = []
  private readonly context: MatchContext
  private comparisons = 0

  constructor(
    private readonly ids: readonly string[],
    indexById: ReadonlyMap<string, number>,
    private readonly features: readonly Features[],
    profiles: Profiles,
    options: DedupOptions,
    abstractOf: ((f: Features) => string) | undefined
  ) {
    const count = ids.length
    this.context = { profiles, looseAuthorKeys: new Map(), abstractTokens: new Map(), abstractOf, pending: [] }
    this.unionFind = new ConstrainedUnionFind(count)
    this.splitOff = new Uint8Array(count)
    for (const id of options.splitIds ?? []) {
      const index = indexById.get(id)
      if (index !== undefined) this.splitOff[index] = 1
    }
    for (const [x, y] of options.notDuplicatePairs ?? []) {
      const a = indexById.get(x)
      const b = indexById.get(y)
      if (a !== undefined && b !== undefined && a !== b) this.unionFind.forbid(a, b)
    }
    // Manual confirmations first: they outrank every automatic link.
    for (const cluster of options.confirmedClusters ?? []) {
      const members = cluster.map((id) => indexById.get(id)).filter((index): index is number => index !== undefined)
      for (let k = 1; k < members.length; k++) {
        this.apply({ a: members[0], b: members[k], reason: 'manual', score: 1, evidence: ['confirmed by a reviewer'] }, false)
      }
    }
    // The blocks read each title's key words, which come first among its
    // word hashes until these are sorted for the comparisons.
    const blocks = buildBlocks(features, profiles, options.maxBlockSize ?? 40)
    sortWordHashes(profiles.words, profiles.wordStart)
    this.linkSharedIdentifiers()
    this.compareBlocks(blocks, options.maxBlockSize ?? 40, options.window ?? 8)
  }

  private apply(link: CandidateLink, automatic: boolean): void {
    if (automatic && (this.splitOff[link.a] === 1 || this.splitOff[link.b] === 1)) return
    if (this.unionFind.find(link.a) === this.unionFind.find(link.b)) return
    if (this.unionFind.union(link.a, link.b)) this.accepted.push(link)
  }

  /** Stage 1: shared identifiers. */
  private linkSharedIdentifiers(): void {
    const { features, ids, unionFind } = this
    const identifierKinds = [
      ['pmid', (f: Features) => f.pmid],
      ['pmcid', (f: Features) => f.pmcid],
      ['arxiv', (f: Features) => f.arxivId],
      ['doi', (f: Features) => f.doi]
    ] as const
    for (const [kind, valueOf] of identifierKinds) {
      const groups = new Map<string, number[]>()
      for (let i = 0; i < features.length; i++) {
        const value = valueOf(features[i])
        if (value === undefined) continue
        const group = groups.get(value)
        if (group) group.push(i)
        else groups.set(value, [i])
      }
      for (const [value, group] of groups) {
        if (group.length < 2) continue
        const pairs: Array<[number, number]> = []
        if (group.length <= MAX_IDENTIFIER_GROUP) {
          for (let x = 0; x < group.length; x++) for (let y = x + 1; y < group.length; y++) pairs.push([group[x], group[y]])
        } else {
          // A identifier on many records is mostly a shared container DOI;
          // link only records that also have the same title.
          const byTitle = new Map<string, number>()
          for (const i of group) {
            const first = byTitle.get(features[i].compact)
            if (first === undefined) byTitle.set(features[i].compact, i)
            else pairs.push([first, i])
          }
        }
        for (const [a, b] of pairs) {
          if (unionFind.find(a) === unionFind.find(b)) continue
          this.comparisons++
          const why = identifierPairObjection(this.context.profiles, kind, features[a], features[b])
          if (why) {
            if (kind !== 'pmid') this.conflicts.push({ a: ids[a], b: ids[b], identifier: kind, value, why })
            continue
          }
          this.apply({ a, b, reason: kind, score: 1, evidence: [`same ${kind === 'arxiv' ? 'arXiv id' : kind.toUpperCase()} ${value}`] }, true)
        }
      }
    }
  }

  /**
   * Stage 2: blocked bibliographic comparison. Pairs are enumerated from
   * their lower-indexed record, so a stamp per partner (`lastPartnerOf`)
   * suffices to skip a pair met again through another block.
   */
  private compareBlocks(blocks: number[][], maxBlockSize: number, window: number): void {
    const { features, splitOff, unionFind } = this
    const count = features.length
    const lastPartnerOf = new Int32Array(count).fill(-1)
    // Blocks of each record, CSR style: blockIds[start[i] .. start[i+1]) with the record's position in the block.
    const blockIsLarge: boolean[] = []
    const membership = new Int32Array(count + 1)
    for (const members of blocks) {
      const large = members.length > maxBlockSize
      if (large) {
        members.sort((p, q) => (features[p].compact < features[q].compact ? -1 : features[p].compact > features[q].compact ? 1 : p - q))
      }
      blockIsLarge.push(large)
      for (const member of members) membership[member + 1]++
    }
    for (let i = 0; i < count; i++) membership[i + 1] += membership[i]
    const fill = membership.slice(0, count)
    const blockOf = new Int32Array(membership[count])
    const positionIn = new Int32Array(membership[count])
    blocks.forEach((members, blockId) => {
      members.forEach((member, position) => {
        blockOf[fill[member]] = blockId
        positionIn[fill[member]] = position
        fill[member]++
      })
    })
    const consider = (a: number, b: number): void => {
      if (lastPartnerOf[b] === a) return
      lastPartnerOf[b] = a
      if (splitOff[b] === 1 || unionFind.find(a) === unionFind.find(b)) return
      this.comparisons++
      if (contradiction(features[a], features[b]) !== undefined) {
        // Two publications with alike titles must not meet through a third record either.
        if (trigramDice(this.context.profiles, features[a], features[b]) >= 0.75) unionFind.forbid(a, b)
        return
      }
      this.addFuzzy(a, b, comparePair(this.context, features[a], features[b]))
    }
    for (let a = 0; a < count; a++) {
      if (splitOff[a] === 1) continue
      for (let k = membership[a]; k < membership[a + 1]; k++) {
        const members = blocks[blockOf[k]]
        if (!blockIsLarge[blockOf[k]]) {
          for (const b of members) if (b > a) consider(a, b)
        } else {
          // A large block is compared only between neighbours in title order.
          const position = positionIn[k]
          const last = Math.min(members.length - 1, position + window)
          for (let m = Math.max(0, position - window); m <= last; m++) if (members[m] > a) consider(a, members[m])
        }
      }
    }
  }

  private addFuzzy(a: number, b: number, verdict: PairVerdict | undefined): void {
    if (!verdict) return
    if (verdict.related) {
      this.related.push({ a: this.ids[a], b: this.ids[b], why: 'a preprint and its published version', evidence: verdict.evidence })
      this.unionFind.forbid(a, b)
      return
    }
    this.fuzzy.push({ a, b, reason: 'bibliographic', score: Math.min(1, Math.round((verdict.points / 8) * 100) / 100), evidence: verdict.evidence })
  }

  /** Records whose abstracts the pending pairs need, in input order. */
  pendingRecords(): number[] {
    const wanted = new Set<number>()
    for (const pair of this.context.pending) {
      wanted.add(pair.a)
      wanted.add(pair.b)
    }
    return [...wanted].sort((x, y) => x - y)
  }

  /** Decides the pending pairs with their abstracts. */
  resolvePending(abstractOf: (f: Features) => string): void {
    this.context.abstractOf = abstractOf
    for (const pair of this.context.pending) {
      this.addFuzzy(pair.a, pair.b, judgeByAbstracts(this.context, pair, this.features[pair.a], this.features[pair.b]))
    }
    this.context.pending = []
  }

  conclude(): DedupResult {
    if (this.context.pending.length > 0) throw new Error('pairs are waiting for their abstracts')
    // The strongest links first, so that a cannot-link constraint rejects the weaker one.
    this.fuzzy.sort((p, q) => q.score - p.score || p.a - q.a || p.b - q.b)
    for (const link of this.fuzzy) this.apply(link, true)
    return {
      clusters: assembleClusters(this.ids, this.features, this.unionFind, this.accepted),
      comparisons: this.comparisons,
      sharedIdentifierConflicts: this.conflicts,
      relatedPairs: this.related
    }
  }
}

function assembleClusters(ids: readonly string[], features: readonly Features[], unionFind: ConstrainedUnionFind, links: CandidateLink[]): DuplicateCluster[] {
  const linked = new Set<number>()
  for (const link of links) {
    linked.add(link.a)
    linked.add(link.b)
  }
  const membersByRoot = new Map<number, number[]>()
  for (const index of [...linked].sort((x, y) => x - y)) {
    const root = unionFind.find(index)
    const members = membersByRoot.get(root)
    if (members) members.push(index)
    else membersByRoot.set(root, [index])
  }
  const linksByRoot = new Map<number, CandidateLink[]>()
  for (const link of links) {
    const root = unionFind.find(link.a)
    const list = linksByRoot.get(root)
    if (list) list.push(link)
    else linksByRoot.set(root, [link])
  }
  const clusters: Array<{ primary: number; cluster: DuplicateCluster }> = []
  for (const [root, members] of membersByRoot) {
    let primary = members[0]
    let best = features[primary].completeness
    for (const member of members) {
      const score = features[member].completeness
      if (score > best) {
        best = score
        primary = member
      }
    }
    const clusterLinks = linksByRoot.get(root) ?? []
    clusters.push({
      primary,
      cluster: {
        primaryId: ids[primary],
        memberIds: members.map((m) => ids[m]),
        reasons: [...new Set(clusterLinks.map((l) => l.reason))],
        score: clusterLinks.reduce((min, l) => Math.min(min, l.score), 1),
        links: clusterLinks.map((l) => ({ a: ids[l.a], b: ids[l.b], reason: l.reason, score: l.score, evidence: l.evidence }))
      }
    })
  }
  clusters.sort((x, y) => x.primary - y.primary)
  return clusters.map((c) => c.cluster)
}
