/**
 * PRISMA-S, the PRISMA extension for reporting literature searches (16 items).
 * Item texts quoted from Rethlefsen ML et al., PRISMA-S: an extension to the
 * PRISMA Statement for Reporting Literature Searches in Systematic Reviews.
 * Syst Rev 2021;10:39, table 1 (https://doi.org/10.1186/s13643-020-01542-z).
 */
import type { Checklist } from './types.ts'

const SOURCES = 'Information sources and methods'
const STRATEGIES = 'Search strategies'

export const PRISMA_S: Checklist = {
  id: 'prisma-s',
  name: 'PRISMA-S',
  source: 'Rethlefsen ML et al. Syst Rev 2021;10:39. doi:10.1186/s13643-020-01542-z',
  items: [
    { id: '1', section: SOURCES, topic: 'Database name', text: 'Name each individual database searched, stating the platform for each.', evidence: 'databases' },
    { id: '2', section: SOURCES, topic: 'Multi-database searching', text: 'If databases were searched simultaneously on a single platform, state the name of the platform, listing all of the databases searched.' },
    { id: '3', section: SOURCES, topic: 'Study registries', text: 'List any study registries searched.', evidence: 'registers' },
    { id: '4', section: SOURCES, topic: 'Online resources and browsing', text: 'Describe any online or print source purposefully searched or browsed (e.g., tables of contents, print conference proceedings, web sites), and how this was done.' },
    { id: '5', section: SOURCES, topic: 'Citation searching', text: 'Indicate whether cited references or citing references were examined, and describe any methods used for locating cited/citing references (e.g., browsing reference lists, using a citation index, setting up email alerts for references citing included studies).', evidence: 'citation-searching' },
    { id: '6', section: SOURCES, topic: 'Contacts', text: 'Indicate whether additional studies or data were sought by contacting authors, experts, manufacturers, or others.' },
    { id: '7', section: SOURCES, topic: 'Other methods', text: 'Describe any additional information sources or search methods used.', evidence: 'other-methods' },
    { id: '8', section: STRATEGIES, topic: 'Full search strategies', text: 'Include the search strategies for each database and information source, copied and pasted exactly as run.', evidence: 'search-strategy' },
    { id: '9', section: STRATEGIES, topic: 'Limits and restrictions', text: 'Specify that no limits were used, or describe any limits or restrictions applied to a search (e.g., date or time period, language, study design) and provide justification for their use.', evidence: 'limits' },
    { id: '10', section: STRATEGIES, topic: 'Search filters', text: 'Indicate whether published search filters were used (as originally designed or modified), and if so, cite the filter(s) used.' },
    { id: '11', section: STRATEGIES, topic: 'Prior work', text: 'Indicate when search strategies from other literature reviews were adapted or reused for a substantive part or all of the search, citing the previous review(s).' },
    { id: '12', section: STRATEGIES, topic: 'Updates', text: 'Report the methods used to update the search(es) (e.g., rerunning searches, email alerts).' },
    { id: '13', section: STRATEGIES, topic: 'Dates of searches', text: 'For each search strategy, provide the date when the last search occurred.', evidence: 'search-dates' },
    { id: '14', section: 'Peer review', topic: 'Peer review', text: 'Describe any search peer review process.' },
    { id: '15', section: 'Managing records', topic: 'Total records', text: 'Document the total number of records identified from each database and other information sources.', evidence: 'total-records' },
    { id: '16', section: 'Managing records', topic: 'Deduplication', text: 'Describe the processes and any software used to deduplicate records from multiple database searches and other information sources.', evidence: 'deduplication' }
  ]
}
