import t from 'tap'
import { checkCitations, citationKeys, citedKeys, splitSentences, studyLabel } from '../../src/synthesis/citations.ts'

t.test('citation keys: first author and year, a suffix when two would share one', async (t) => {
  const keys = citationKeys([
    { id: '1', authors: [{ family: 'Müller-Lüdenscheidt' }], year: 2020, title: 'A' },
    { id: '2', authors: [{ family: 'Smith' }], year: 2019, title: 'B' },
    { id: '3', authors: [{ family: 'Smith' }], year: 2019, title: 'C' },
    { id: '4', authors: [], year: null, title: 'A trial of chatbots' },
    { id: '5', authors: [{ family: "O'Brien" }], year: 2021, title: 'D' }
  ])
  t.same([...keys.values()], ['MullerLudenscheidt2020', 'Smith2019a', 'Smith2019b', 'Trialnd', 'OBrien2021'])
  t.equal(studyLabel('Smith2019a'), 'Smith 2019a')
})

t.test('sentences: abbreviations, initials, decimals and citations after the full stop do not split', async (t) => {
  const text = 'Smith et al. found a large effect (e.g. on adherence) [Smith2019a]. ' +
    'Effects were larger in adults, i.e. over 18 years, vs. adolescents [Lee2020]. ' +
    'J. Smith reported p = 0.03 in Fig. 2 of the trial [Smith2019b]. ' +
    'No study measured costs.\n\n## Gaps\n\nFuture trials should last longer [Lee2020; Smith2019a]! Is the effect durable? [Smith2019b]'
  t.same(splitSentences(text), [
    'Smith et al. found a large effect (e.g. on adherence) [Smith2019a].',
    'Effects were larger in adults, i.e. over 18 years, vs. adolescents [Lee2020].',
    'J. Smith reported p = 0.03 in Fig. 2 of the trial [Smith2019b].',
    'No study measured costs.',
    '## Gaps',
    'Future trials should last longer [Lee2020; Smith2019a]!',
    'Is the effect durable? [Smith2019b]'
  ])
  t.same(splitSentences('Les études (cf. Dupont et al.) concordent [Dupont2018]. Elles divergent sur la durée [Martin2019].'), [
    'Les études (cf. Dupont et al.) concordent [Dupont2018].', 'Elles divergent sur la durée [Martin2019].'
  ])
})

t.test('citations checked: unknown keys and sentences citing nothing are flagged, headings are not', async (t) => {
  t.same(citedKeys('as shown [Smith2019a; Lee2020, @Kim2021] and [sic] [1]'), ['Smith2019a', 'Lee2020', 'Kim2021'])
  const known = new Set(['Smith2019a', 'Lee2020'])
  const checked = checkCitations('## Key findings\n\nAdherence improved [Smith2019a]. Costs fell [Doe2018; Lee2020]. Everyone agrees.', known)
  t.same(checked, [
    { text: '## Key findings', keys: [], unknownKeys: [], uncited: false },
    { text: 'Adherence improved [Smith2019a].', keys: ['Smith2019a'], unknownKeys: [], uncited: false },
    { text: 'Costs fell [Doe2018; Lee2020].', keys: ['Lee2020'], unknownKeys: ['Doe2018'], uncited: false },
    { text: 'Everyone agrees.', keys: [], unknownKeys: [], uncited: true }
  ])
})
