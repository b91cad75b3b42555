import { useQuery } from '@tanstack/react-query'
import { call } from '../api/client'
import { ErrorMessage } from '../errors'
import { useProjectEvents } from '../events'
import { useI18n, type MessageKey } from '../i18n'
import { useProjectId } from '../project'

interface Counts {
  identification: { sources: Array<{ kind: string; sourceDatabase: string | null; batches: number; records: number }>; total: number; duplicatesRemoved: number; recordsAfterDuplicates: number }
  screening: {
    titleAbstract: { records: number; screened: number; excluded: number; included: number; maybe: number; awaiting: number; conflicts: number }
    fullText: { soughtForRetrieval: number; assessed: number; excluded: number; exclusionReasons: Array<{ reason: string; count: number }>; included: number; maybe: number; awaiting: number; conflicts: number }
  }
  included: number
}

/** The PRISMA 2020 flow counts as a table of boxes (identification, screening, included); the diagram comes with the reporting screens. */
export default function Prisma() {
  const { t, lang } = useI18n()
  const projectId = useProjectId()
  useProjectEvents(projectId)
  const counts = useQuery({ queryKey: ['project', projectId, 'prisma'], queryFn: () => call<Counts>('GET', `/api/projects/${projectId}/prisma`) })
  const c = counts.data
  const n = (v: number) => v.toLocaleString(lang)
  const row = (key: MessageKey, value: number, vars?: Record<string, string>) => (
    <tr key={key + JSON.stringify(vars ?? {})}><th scope="row">{t(key, vars)}</th><td className="num">{n(value)}</td></tr>
  )
  return (
    <section aria-labelledby="prisma-title">
      <h2 id="prisma-title">{t('prisma.title')}</h2>
      <ErrorMessage error={counts.error} />
      {c && (
        <div className="prisma">
          <table className="card">
            <caption>{t('prisma.identification')}</caption>
            <tbody>
              {c.identification.sources.map((s) => row('prisma.source', s.records, { source: s.sourceDatabase ?? t('prisma.otherSource'), kind: s.kind }))}
              {row('prisma.identified', c.identification.total)}
              {row('prisma.duplicates', c.identification.duplicatesRemoved)}
              {row('prisma.afterDuplicates', c.identification.recordsAfterDuplicates)}
            </tbody>
          </table>
          <table className="card">
            <caption>{t('prisma.titleAbstract')}</caption>
            <tbody>
              {row('prisma.screened', c.screening.titleAbstract.screened)}
              {row('prisma.excluded', c.screening.titleAbstract.excluded)}
              {row('prisma.includedStage', c.screening.titleAbstract.included)}
              {row('prisma.maybe', c.screening.titleAbstract.maybe)}
              {row('prisma.awaiting', c.screening.titleAbstract.awaiting)}
              {row('prisma.conflicts', c.screening.titleAbstract.conflicts)}
            </tbody>
          </table>
          <table className="card">
            <caption>{t('prisma.fullText')}</caption>
            <tbody>
              {row('prisma.sought', c.screening.fullText.soughtForRetrieval)}
              {row('prisma.assessed', c.screening.fullText.assessed)}
              {row('prisma.excluded', c.screening.fullText.excluded)}
              {c.screening.fullText.exclusionReasons.map((r) => row('prisma.reason', r.count, { reason: r.reason }))}
              {row('prisma.awaiting', c.screening.fullText.awaiting)}
              {row('prisma.conflicts', c.screening.fullText.conflicts)}
            </tbody>
          </table>
          <table className="card">
            <caption>{t('prisma.included')}</caption>
            <tbody>{row('prisma.studies', c.included)}</tbody>
          </table>
        </div>
      )}
    </section>
  )
}
