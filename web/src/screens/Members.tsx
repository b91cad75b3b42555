import { type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ok } from '../api/client'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { useProject, useProjectId } from '../project'

type Role = 'owner' | 'reviewer' | 'viewer'

export default function Members() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  const isOwner = project.data?.role === 'owner'
  const queryClient = useQueryClient()
  const key = ['project', projectId, 'members']
  const members = useQuery({ queryKey: key, queryFn: async () => ok(await api.GET('/api/projects/{projectId}/members', { params: { path: { projectId } } })) })
  const [draft, setDraft, clearDraft] = useDraft<{ email: string; role: Role }>(`members.${projectId}`, { email: '', role: 'reviewer' })
  const put = useMutation({
    mutationFn: async (body: { email: string; role: Role }) => ok(await api.PUT('/api/projects/{projectId}/members', { params: { path: { projectId } }, body })),
    onSuccess: (data) => { queryClient.setQueryData(key, data); clearDraft() }
  })
  const remove = useMutation({
    mutationFn: async (userId: string) => ok(await api.DELETE('/api/projects/{projectId}/members/{userId}', { params: { path: { projectId, userId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key })
  })
  const submit = (e: FormEvent) => { e.preventDefault(); put.mutate(draft) }
  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">{t('project.members')}</h2>
      <ErrorMessage error={members.error ?? remove.error} />
      <table>
        <thead><tr><th scope="col">{t('members.email')}</th><th scope="col">{t('members.role')}</th>{isOwner && <th scope="col"><span className="sr-only">{t('common.remove')}</span></th>}</tr></thead>
        <tbody>
          {members.data?.map((m) => (
            <tr key={m.userId}>
              <td>{m.name ? `${m.name} <${m.email}>` : m.email}</td>
              <td>{t(`members.${m.role as Role}`)}</td>
              {isOwner && <td><button type="button" onClick={() => remove.mutate(m.userId)}>{t('common.remove')}</button></td>}
            </tr>
          ))}
        </tbody>
      </table>
      {isOwner && (
        <form className="card" onSubmit={submit} aria-labelledby="add-member">
          <h3 id="add-member">{t('members.add')}</h3>
          <label>{t('members.email')}<input type="email" required value={draft.email} onChange={(e) => setDraft({ ...draft, email: e.target.value })} /></label>
          <label>{t('members.role')}
            <select value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.target.value as Role })}>
              {(['owner', 'reviewer', 'viewer'] as const).map((r) => <option key={r} value={r}>{t(`members.${r}`)}</option>)}
            </select>
          </label>
          <ErrorMessage error={put.error} />
          <button type="submit" className="primary" disabled={put.isPending}>{t('common.save')}</button>
        </form>
      )}
    </section>
  )
}
