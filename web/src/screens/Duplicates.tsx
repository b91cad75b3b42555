import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../api/client'
import type { ClusterMember, DuplicateCluster } from '../api/types'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'

const FIELDS: Array<keyof ClusterMember> = ['title', 'firstAuthor', 'year', 'journal', 'doi', 'pmid', 'sourceDatabase']
const norm = (v: unknown) => String(v ?? '').trim().toLowerCase()

/** Duplicate clusters side by side: each record a column, fields that differ from the primary's highlighted. */
export default function Duplicates() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  const queryClient = useQueryClient()
  const key = ['project', projectId, 'duplicates']
  const clusters = useQuery({ queryKey: key, queryFn: () => call<{ total: number; items: DuplicateCluster[] }>('GET', `/api/projects/${projectId}/duplicates?limit=50`) })
  const action = useMutation({
    mutationFn: ({ path, body }: { path: string; body?: unknown }) => call('POST', `/api/projects/${projectId}/duplicates/${path}`, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['project', projectId] })
  })
  const editable = canReview(project.data?.role)
  return (
    <section aria-labelledby="dup-title">
      <h2 id="dup-title">{t('dup.title')} ({clusters.data?.total ?? 0})</h2>
      {editable && <button type="button" onClick={() => action.mutate({ path: 'run' })}>{t('dup.run')}</button>}
      <ErrorMessage error={clusters.error ?? action.error} />
      {clusters.data?.items.length === 0 && <p>{t('dup.empty')}</p>}
      {clusters.data?.items.map((c) => {
        const primary = c.members.find((m) => m.id === c.primaryId) ?? c.members[0]
        const members = [primary, ...c.members.filter((m) => m !== primary)]
        const ids = members.map((m) => m.id)
        return (
          <div key={c.primaryId} className="card cluster">
            <table>
              <thead>
                <tr><th scope="col"><span className="sr-only">field</span></th>{members.map((m, i) => <th scope="col" key={m.id}>{i === 0 ? t('dup.primary') : `#${i + 1}`}</th>)}</tr>
              </thead>
              <tbody>
                {FIELDS.map((f) => (
                  <tr key={f}>
                    <th scope="row">{f}</th>
                    {members.map((m, i) => {
                      const differs = i > 0 && norm(m[f]) !== norm(primary[f])
                      return <td key={m.id} className={differs ? 'differs' : ''}>{String(m[f] ?? '—')}{differs && <span className="sr-only"> ({t('dup.differs')})</span>}</td>
                    })}
                  </tr>
                ))}
                {editable && (
                  <tr>
                    <th scope="row"><span className="sr-only">actions</span></th>
                    {members.map((m, i) => <td key={m.id}>{i > 0 && <button type="button" onClick={() => action.mutate({ path: 'split', body: { articleId: m.id } })}>{t('dup.split')}</button>}</td>)}
                  </tr>
                )}
              </tbody>
            </table>
            {editable && (
              <div className="row">
                <button type="button" className="primary" onClick={() => action.mutate({ path: 'confirm', body: { articleIds: ids } })}>{t('dup.confirm')}</button>
                <button type="button" onClick={() => action.mutate({ path: 'not-duplicates', body: { articleIds: ids } })}>{t('dup.notDuplicates')}</button>
              </div>
            )}
          </div>
        )
      })}
    </section>
  )
}
