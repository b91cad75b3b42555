/**
 * PRISMA-ScR, the PRISMA extension for scoping reviews: 22 items (the title,
 * 19 required items and the 2 optional critical-appraisal items 12 and 16,
 * counted as "title + 20 + 2" by some). Item texts quoted from Tricco AC et
 * al., PRISMA Extension for Scoping Reviews (PRISMA-ScR): Checklist and
 * Explanation. Ann Intern Med 2018;169:467-473 (https://doi.org/10.7326/M18-0850),
 * as in the fillable checklist on prisma-statement.org.
 */
import type { Checklist } from './types.ts'

export const PRISMA_SCR: Checklist = {
  id: 'prisma-scr',
  name: 'PRISMA-ScR',
  source: 'Tricco AC et al. Ann Intern Med 2018;169:467-473. doi:10.7326/M18-0850',
  items: [
    { id: '1', section: 'Title', topic: 'Title', text: 'Identify the report as a scoping review.' },
    { id: '2', section: 'Abstract', topic: 'Structured summary', text: 'Provide a structured summary that includes (as applicable): background, objectives, eligibility criteria, sources of evidence, charting methods, results, and conclusions that relate to the review questions and objectives.' },
    { id: '3', section: 'Introduction', topic: 'Rationale', text: 'Describe the rationale for the review in the context of what is already known. Explain why the review questions/objectives lend themselves to a scoping review approach.' },
    { id: '4', section: 'Introduction', topic: 'Objectives', text: 'Provide an explicit statement of the questions and objectives being addressed with reference to their key elements (e.g., population or participants, concepts, and context) or other relevant key elements used to conceptualize the review questions and/or objectives.' },
    { id: '5', section: 'Methods', topic: 'Protocol and registration', text: 'Indicate whether a review protocol exists; state if and where it can be accessed (e.g., a Web address); and if available, provide registration information, including the registration number.' },
    { id: '6', section: 'Methods', topic: 'Eligibility criteria', text: 'Specify characteristics of the sources of evidence used as eligibility criteria (e.g., years considered, language, and publication status), and provide a rationale.' },
    { id: '7', section: 'Methods', topic: 'Information sources', text: 'Describe all information sources in the search (e.g., databases with dates of coverage and contact with authors to identify additional sources), as well as the date the most recent search was executed.', evidence: 'information-sources' },
    { id: '8', section: 'Methods', topic: 'Search', text: 'Present the full electronic search strategy for at least 1 database, including any limits used, such that it could be repeated.', evidence: 'search-strategy' },
    { id: '9', section: 'Methods', topic: 'Selection of sources of evidence', text: 'State the process for selecting sources of evidence (i.e., screening and eligibility) included in the scoping review.', evidence: 'selection' },
    { id: '10', section: 'Methods', topic: 'Data charting process', text: 'Describe the methods of charting data from the included sources of evidence (e.g., calibrated forms or forms that have been tested by the team before their use, and whether data charting was done independently or in duplicate) and any processes for obtaining and confirming data from investigators.', evidence: 'data-collection' },
    { id: '11', section: 'Methods', topic: 'Data items', text: 'List and define all variables for which data were sought and any assumptions and simplifications made.', evidence: 'data-items' },
    { id: '12', section: 'Methods', topic: 'Critical appraisal of individual sources of evidence', text: 'If done, provide a rationale for conducting a critical appraisal of included sources of evidence; describe the methods used and how this information was used in any data synthesis (if appropriate).', optional: true },
    { id: '13', section: 'Methods', topic: 'Synthesis of results', text: 'Describe the methods of handling and summarizing the data that were charted.' },
    { id: '14', section: 'Results', topic: 'Selection of sources of evidence', text: 'Give numbers of sources of evidence screened, assessed for eligibility, and included in the review, with reasons for exclusions at each stage, ideally using a flow diagram.', evidence: 'flow' },
    { id: '15', section: 'Results', topic: 'Characteristics of sources of evidence', text: 'For each source of evidence, present characteristics for which data were charted and provide the citations.' },
    { id: '16', section: 'Results', topic: 'Critical appraisal within sources of evidence', text: 'If done, present data on critical appraisal of included sources of evidence (see item 12).', optional: true },
    { id: '17', section: 'Results', topic: 'Results of individual sources of evidence', text: 'For each included source of evidence, present the relevant data that were charted that relate to the review questions and objectives.' },
    { id: '18', section: 'Results', topic: 'Synthesis of results', text: 'Summarize and/or present the charting results as they relate to the review questions and objectives.' },
    { id: '19', section: 'Discussion', topic: 'Summary of evidence', text: 'Summarize the main results (including an overview of concepts, themes, and types of evidence available), link to the review questions and objectives, and consider the relevance to key groups.' },
    { id: '20', section: 'Discussion', topic: 'Limitations', text: 'Discuss the limitations of the scoping review process.' },
    { id: '21', section: 'Discussion', topic: 'Conclusions', text: 'Provide a general interpretation of the results with respect to the review questions and objectives, as well as potential implications and/or next steps.' },
    { id: '22', section: 'Funding', topic: 'Funding', text: 'Describe sources of funding for the included sources of evidence, as well as sources of funding for the scoping review. Describe the role of the funders of the scoping review.' }
  ]
}
