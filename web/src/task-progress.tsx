import { useQuery } from '@tanstack/react-query'
import { call } from './api/client'
import type { Task } from './api/types'
import { useI18n } from './i18n'

const FINAL = ['succeeded', 'failed', 'cancelled']

/**
 * A task started from a screen: its status, progress and message, live (the
 * screen's `useProjectEvents` refetches it on each event), then its error or its result.
 */
export function TaskProgress({ projectId, taskId, summary }: { projectId?: string; taskId: string; summary?: (result: unknown) => string }) {
  const { t } = useI18n()
  const task = useQuery({
    queryKey: projectId ? ['project', projectId, 'tasks', taskId] : ['tasks', taskId],
    queryFn: () => call<Task>('GET', `/api/tasks/${taskId}`),
    // A project's tasks are refetched on its events; others (a model pull) are polled.
    refetchInterval: (query) => (query.state.data && FINAL.includes(query.state.data.status) ? false : projectId ? 5000 : 1000)
  })
  const data = task.data
  if (!data) return null
  return (
    <div className="card task-progress" role="status" data-task-status={data.status}>
      <p>
        <strong>{data.type}</strong> · {t(`task.${data.status}` as 'task.running')}
        {' '}<progress max={1} value={data.progress} aria-label={`${data.type} ${Math.round(data.progress * 100)}%`} /> {Math.round(data.progress * 100)}%
      </p>
      {data.message && <p className="muted">{data.message}</p>}
      {data.error && <p className="error">{data.error}</p>}
      {data.status === 'succeeded' && data.result != null && (
        <>
          {summary && <p>{summary(data.result)}</p>}
          <details><summary>{t('task.result')}</summary><pre>{JSON.stringify(data.result, null, 2)}</pre></details>
        </>
      )}
    </div>
  )
}
