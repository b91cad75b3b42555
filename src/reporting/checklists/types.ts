/** A reporting checklist as data: what each item asks, and what the project can evidence for it. */

/** What the project can evidence for an item (see prefill.ts). */
export type Evidence =
  | 'information-sources' | 'databases' | 'registers' | 'citation-searching' | 'other-methods' | 'search-strategy' | 'search-dates'
  | 'limits' | 'selection' | 'data-collection' | 'data-items' | 'flow' | 'total-records' | 'deduplication'

export interface ChecklistItem {
  /** As the checklist numbers it: "1", "10a", "13f". */
  id: string
  section: string
  topic: string
  text: string
  /** PRISMA-ScR's items 12 and 16 (critical appraisal) are optional. */
  optional?: boolean
  evidence?: Evidence
}

export interface Checklist {
  id: string
  name: string
  /** Where the item texts are quoted from. */
  source: string
  items: readonly ChecklistItem[]
}
