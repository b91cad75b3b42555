import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../api/client'
import type { Decision } from '../api/types'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { useProjectId } from '../project'

interface Conflict { articleId: string; title: string; year: number | null; decisions: Array<{ reviewerEmail: string | null; decision: Decision; reason: string | null; note: string | null }> }
interface Agreement { counts: { records: number; recordsWithTwoOrMoreReviewers: number; ratings: number }; cohen: { kappa: number | null; percentAgreement: number | null } | null; fleiss: { kappa: number | null } | null }

/** The conflicts queue (owners and resolvers) with the agreement figures and the paired CSV. */
export default function Conflicts() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const queryClient = useQueryClient()
  const key = ['project', projectId, 'conflicts']
  const conflicts = useQuery({ queryKey: key, queryFn: () => call<{ items: Conflict[]; total: number }>('GET', `/api/projects/${projectId}/screening/conflicts?stage=title_abstract`) })
  const agreement = useQuery({ queryKey: ['project', projectId, 'agreement'], queryFn: () => call<Agreement>('GET', `/api/projects/${projectId}/screening/agreement?stage=title_abstract`) })
  const resolve = useMutation({
    mutationFn: ({ articleId, decision }: { articleId: string; decision: Decision }) =>
      call('POST', `/api/projects/${projectId}/articles/${articleId}/resolution`, { decision, stage: 'title_abstract' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['project', projectId] })
  })
  const kappa = agreement.data?.cohen?.kappa ?? agreement.data?.fleiss?.kappa
  return (
    <section aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">{t('conflicts.title')}</h2>
      <ErrorMessage error={conflicts.error ?? resolve.error} />
      {conflicts.data?.items.length === 0 && <p>{t('conflicts.empty')}</p>}
      <ul className="cards">
        {conflicts.data?.items.map((c) => (
          <li key={c.articleId} className="card" data-article-id={c.articleId}>
            <h3>{c.title}{c.year ? ` (${c.year})` : ''}</h3>
            <ul>{c.decisions.map((d, i) => <li key={i}>{d.reviewerEmail ?? '?'}: {t(`decision.${d.decision}`)}{d.reason ? ` — ${d.reason}` : ''}{d.note ? ` — ${d.note}` : ''}</li>)}</ul>
            <div className="row" role="group" aria-label={t('conflicts.resolve')}>
              <span>{t('conflicts.resolve')}</span>
              {(['include', 'exclude', 'maybe'] as const).map((d) => (
                <button type="button" key={d} onClick={() => resolve.mutate({ articleId: c.articleId, decision: d })}>{t(`decision.${d}`)}</button>
              ))}
            </div>
          </li>
        ))}
      </ul>
      <div className="card">
        <h3>{t('conflicts.agreement')}</h3>
        <ErrorMessage error={agreement.error} />
        {kappa !== undefined && <p>{t('conflicts.kappa', { kappa: kappa === null ? '—' : kappa.toFixed(2) })}</p>}
        <a className="button" href={`/api/projects/${projectId}/screening/agreement.csv?stage=title_abstract`} download>{t('conflicts.csv')}</a>
      </div>
    </section>
  )
}
