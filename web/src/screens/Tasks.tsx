import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../api/client'
import type { Task } from '../api/types'
import { ErrorMessage } from '../errors'
import { useProjectEvents } from '../events'
import { useI18n } from '../i18n'
import { useProjectId } from '../project'

const FINAL = ['succeeded', 'failed', 'cancelled']

/** Running and recent tasks of the project, live over the WebSocket. */
export default function Tasks() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const queryClient = useQueryClient()
  const key = ['project', projectId, 'tasks']
  const tasks = useQuery({ queryKey: key, queryFn: () => call<Task[]>('GET', `/api/projects/${projectId}/tasks`) })
  const { connected } = useProjectEvents(projectId, (event) => {
    const task = event.task
    if (task) queryClient.setQueryData<Task[]>(key, (prev) => prev?.some((x) => x.id === task.id) ? prev.map((x) => (x.id === task.id ? task : x)) : [task, ...(prev ?? [])])
  })
  const cancel = useMutation({
    mutationFn: (id: string) => call('POST', `/api/tasks/${id}/cancel`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: key })
  })
  const list = Array.isArray(tasks.data) ? tasks.data : ((tasks.data as { items?: Task[] } | undefined)?.items ?? [])
  return (
    <section aria-labelledby="tasks-title">
      <h2 id="tasks-title">{t('tasks.title')}</h2>
      <p role="status" className={connected ? 'muted' : 'error'}>{connected ? t('tasks.live') : t('tasks.offline')}</p>
      <ErrorMessage error={tasks.error ?? cancel.error} />
      {list.length === 0 && !tasks.isPending && <p>{t('tasks.empty')}</p>}
      <table>
        <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">%</th><th scope="col">Message</th><th scope="col"><span className="sr-only">{t('tasks.cancel')}</span></th></tr></thead>
        <tbody>
          {list.map((task) => (
            <tr key={task.id}>
              <td>{task.type}</td>
              <td className={task.status === 'failed' ? 'error' : ''}>{task.status}</td>
              <td><progress max={1} value={task.progress} aria-label={`${task.type} ${Math.round(task.progress * 100)}%`} /></td>
              <td>{task.error ?? task.message ?? ''}</td>
              <td>{!FINAL.includes(task.status) && <button type="button" onClick={() => cancel.mutate(task.id)}>{t('tasks.cancel')}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
