import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, call, ok } from '../api/client'
import { authorsText, type Article, type Decision, type ScreeningStats } from '../api/types'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useProjectEvents } from '../events'
import { useI18n } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'
import { useMe } from '../session'
import { TaskProgress } from '../task-progress'

interface QueueItem extends Article { decisions: Array<{ reviewerId: string | null; decision: Decision; source: string }> }
interface QueuePage { items: QueueItem[]; total: number }
const QUEUE_SIZE = 60

/** Splits `text` around the keywords, marking include words and exclude words. */
export function highlight(text: string, include: string[], exclude: string[]): ReactNode[] {
  const words = [...include.map((w) => [w, 'inc'] as const), ...exclude.map((w) => [w, 'exc'] as const)].filter(([w]) => w.length > 1)
  if (words.length === 0) return [text]
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`(${words.map(([w]) => escape(w)).join('|')})`, 'gi')
  const kind = new Map(words.map(([w, k]) => [w.toLowerCase(), k]))
  return text.split(pattern).map((part, i) => {
    const k = kind.get(part.toLowerCase())
    return k ? <mark key={i} className={k}>{part}</mark> : part
  })
}

function StatsPanel({ stats }: { stats: ScreeningStats | undefined }) {
  const { t } = useI18n()
  if (!stats) return null
  const fmt = (n: number | null) => (n === null ? '?' : String(Math.round(n)))
  return (
    <aside className="card stats" aria-labelledby="stats-title">
      <h2 id="stats-title">{t('stats.title')}</h2>
      <progress max={Math.max(stats.records, 1)} value={stats.screened} aria-label={t('stats.screened', { screened: stats.screened, records: stats.records })} />
      <p>{t('stats.screened', { screened: stats.screened, records: stats.records })}</p>
      <p>{t('stats.includes', { count: stats.includesFound })}</p>
      <p data-testid="since-last">{t('stats.sinceLast', { count: stats.sinceLastInclude })}</p>
      <p>{t('stats.remaining', { estimate: fmt(stats.remainingRelevant.estimate), upper: fmt(stats.remainingRelevant.upper) })}</p>
      <p className="muted">{stats.model ? t('stats.model', { classifier: stats.model.classifier, labelled: stats.model.labelled }) : t('stats.noModel')}</p>
      <KneeChart stats={stats} />
    </aside>
  )
}

/** The gain curve (includes found vs records screened) as an SVG line, the knee marked: when it flattens, screening can stop. */
export function KneeChart({ stats }: { stats: ScreeningStats }) {
  const { t } = useI18n()
  const gain = stats.gain ?? []
  if (gain.length < 2) return null
  const [W, H, P] = [260, 140, 24]
  const maxX = Math.max(1, gain[gain.length - 1][0])
  const maxY = Math.max(1, gain[gain.length - 1][1])
  const x = (v: number) => P + (v / maxX) * (W - P - 6)
  const y = (v: number) => H - P - (v / maxY) * (H - P - 6)
  const line = gain.map(([a, b], i) => `${i ? 'L' : 'M'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')
  const kneeAt = stats.knee.kneeAt
  const kneePoint = kneeAt > 0 ? gain.reduce((best, p) => (Math.abs(p[0] - kneeAt) < Math.abs(best[0] - kneeAt) ? p : best)) : null
  const ratio = stats.knee.slopeRatio === null ? '?' : stats.knee.slopeRatio.toFixed(1)
  return (
    <figure className="knee">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="knee-caption" data-testid="knee-chart">
        <line x1={P} y1={H - P} x2={W - 6} y2={H - P} className="axis" />
        <line x1={P} y1={H - P} x2={P} y2={6} className="axis" />
        <line x1={x(0)} y1={y(0)} x2={x(maxX)} y2={y(maxY)} className="diagonal" />
        <path d={line} className="gain" />
        {kneePoint && <circle cx={x(kneePoint[0])} cy={y(kneePoint[1])} r={4} className="knee-point" />}
        <text x={W - 6} y={H - 6} textAnchor="end">{maxX}</text>
        <text x={2} y={12}>{maxY}</text>
      </svg>
      <figcaption id="knee-caption">
        {t('stats.knee', { screened: maxX, includes: maxY })}{' '}
        {kneeAt > 0 && t('stats.kneeRatio', { at: kneeAt, ratio, required: stats.knee.requiredRatio })}{' '}
        <strong>{stats.knee.stop ? t('stats.kneeStop') : t('stats.kneeGo')}</strong>
      </figcaption>
    </figure>
  )
}

/** The project's highlighted keywords: owners edit them (stored in the screening settings), everyone sees them highlighted. */
function Keywords({ projectId, include, exclude, owner }: { projectId: string; include: string[]; exclude: string[]; owner: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [draft, setDraft, clear] = useDraft(`keywords.${projectId}`, null as null | { include: string; exclude: string })
  const value = draft ?? { include: include.join(', '), exclude: exclude.join(', ') }
  const words = (text: string) => text.split(',').map((w) => w.trim()).filter(Boolean)
  const save = useMutation({
    mutationFn: () => call('PATCH', `/api/projects/${projectId}/screening-settings`, { highlightInclude: words(value.include), highlightExclude: words(value.exclude) }),
    onSuccess: (data) => { clear(); queryClient.setQueryData(['project', projectId, 'screening-settings'], data) }
  })
  return (
    <details className="card">
      <summary>{t('screening.keywords')}</summary>
      <form onSubmit={(e) => { e.preventDefault(); save.mutate() }}>
        <fieldset disabled={!owner}>
          <label>{t('screening.includeWords')}<input value={value.include} onChange={(e) => setDraft({ ...value, include: e.target.value })} /></label>
          <label>{t('screening.excludeWords')}<input value={value.exclude} onChange={(e) => setDraft({ ...value, exclude: e.target.value })} /></label>
        </fieldset>
        <ErrorMessage error={save.error} />
        {owner ? <button type="submit" disabled={save.isPending}>{t('common.save')}</button> : <p className="muted">{t('projectSettings.ownersOnly')}</p>}
      </form>
    </details>
  )
}

interface LlmDecision { decision: string; probability: number | null; justification: string | null; model: string | null; reviewerName: string | null; createdAt: string }

/** The LLM reviewers' suggestions on the record, shown apart from the human decisions. */
function LlmSuggestions({ projectId, articleId }: { projectId: string; articleId: string }) {
  const { t } = useI18n()
  const list = useQuery({
    queryKey: ['project', projectId, 'llm-decisions', articleId],
    queryFn: () => call<LlmDecision[]>('GET', `/api/projects/${projectId}/decisions?articleId=${articleId}&source=llm&stage=title_abstract&pageSize=10`)
  })
  const latest = new Map<string, LlmDecision>()
  for (const d of list.data ?? []) if (!latest.has(d.model ?? '')) latest.set(d.model ?? '', d)
  if (latest.size === 0) return null
  return (
    <aside className="card llm" aria-labelledby={`llm-${articleId}`} data-testid="llm-suggestions">
      <h3 id={`llm-${articleId}`}>{t('screening.llmTitle')}</h3>
      {[...latest.values()].map((d) => (
        <p key={d.model ?? ''}>
          <strong>{d.model ?? d.reviewerName}</strong>: {t(`decision.${d.decision}` as 'decision.include')}
          {d.probability !== null && ` (${t('screening.llmProbability', { p: Math.round(d.probability * 100) })})`}
          {d.justification && <><br /><span className="muted">{d.justification}</span></>}
        </p>
      ))}
    </aside>
  )
}

/** Starts an LLM screening run (a profile's screening model) over the records no human has decided. */
function LlmRun({ projectId }: { projectId: string }) {
  const { t } = useI18n()
  const [open, setOpen] = useState(false)
  const profiles = useQuery({ queryKey: ['profiles'], enabled: open, queryFn: () => call<Array<{ id: string; name: string; screeningModel: string }>>('GET', '/api/profiles') })
  const [profileId, setProfileId] = useState('')
  const [taskId, setTaskId] = useState<string | null>(null)
  const run = useMutation({
    mutationFn: () => call<{ id: string }>('POST', `/api/projects/${projectId}/screening/llm-runs`, { profileId: profileId || profiles.data?.[0]?.id, stage: 'title_abstract' }),
    onSuccess: (task) => setTaskId(task.id)
  })
  return (
    <details className="card" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{t('screening.llmRun')}</summary>
      <form onSubmit={(e) => { e.preventDefault(); run.mutate() }}>
        <label>{t('screening.llmProfile')}
          <select value={profileId} onChange={(e) => setProfileId(e.target.value)}>
            {(profiles.data ?? []).map((p) => <option key={p.id} value={p.id}>{p.name} ({p.screeningModel})</option>)}
          </select>
        </label>
        <ErrorMessage error={run.error ?? profiles.error} />
        <button type="submit" disabled={run.isPending || !profiles.data?.length}>{t('screening.llmStart')}</button>
      </form>
      {taskId && <TaskProgress projectId={projectId} taskId={taskId} />}
    </details>
  )
}

const isTyping = (target: EventTarget | null) => target instanceof HTMLElement && (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.isContentEditable)

/**
 * One record at a time in relevance order. The queue holds the next records
 * (prefetched), so a decision shows the next one at once while it is saved;
 * the queue is refetched after each save and when the model is retrained,
 * so its order follows the model.
 */
export function Screening() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  const me = useMe().data
  const queryClient = useQueryClient()
  const settings = useQuery({
    queryKey: ['project', projectId, 'screening-settings'],
    queryFn: async () => ok(await api.GET('/api/projects/{projectId}/screening-settings', { params: { path: { projectId } } }))
  })
  const privileged = project.data?.role === 'owner' || (!!me && !!settings.data?.resolverIds.includes(me.id))
  const status = settings.data?.blind && !privileged ? 'pending' : 'awaiting'
  const queueKey = ['project', projectId, 'screening-queue', status]
  const queue = useQuery({
    queryKey: queueKey,
    enabled: !!settings.data && !!me,
    queryFn: () => call<QueuePage>('GET', `/api/projects/${projectId}/screening/records?stage=title_abstract&status=${status}&sort=relevance&pageSize=${QUEUE_SIZE}`)
  })
  const statsKey = ['project', projectId, 'screening-stats']
  const stats = useQuery({ queryKey: statsKey, queryFn: () => call<ScreeningStats>('GET', `/api/projects/${projectId}/screening/stats?stage=title_abstract`) })
  // Records decided in this session (hidden from the queue at once) and the order they were decided in (for undo).
  const [decided, setDecided] = useState<QueueItem[]>([])
  const [skipped, setSkipped] = useState<string[]>([])
  const [undone, setUndone] = useState<QueueItem | null>(null)
  const [reasonIndex, setReasonIndex] = useState<number | null>(null)
  const [message, setMessage] = useState<string | null>(null)

  const items = useMemo(() => {
    const mine = (a: QueueItem) => a.decisions.some((d) => d.reviewerId === me?.id && d.source !== 'llm')
    const done = new Set(decided.map((a) => a.id))
    const list = (queue.data?.items ?? []).filter((a) => a.id !== undone?.id && !mine(a) && !done.has(a.id))
    const order = (a: QueueItem) => skipped.indexOf(a.id)
    list.sort((a, b) => order(a) - order(b))
    return undone ? [undone, ...list] : list
  }, [queue.data, decided, skipped, undone, me])
  const current = items[0]
  const [note, setNote, clearNote] = useDraft(`note.${projectId}.${current?.id ?? 'none'}`, '')

  useProjectEvents(projectId, (event) => {
    // A retrained model reorders the queue.
    if (event.type === 'task.completed' && event.task?.type.includes('train')) void queryClient.invalidateQueries({ queryKey: queueKey })
  })

  const decide = useMutation({
    mutationFn: (body: { id: string; decision: Decision; reason?: string; note?: string }) =>
      call('POST', `/api/projects/${projectId}/articles/${body.id}/decisions`, { decision: body.decision, stage: 'title_abstract', reason: body.reason, note: body.note || undefined }),
    onError: (_err, body) => setDecided((prev) => prev.filter((a) => a.id !== body.id)),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: statsKey })
      // Refill the queue (and take the model's new order) once the first prefetched records are used.
      if (items.length < QUEUE_SIZE / 2) void queryClient.invalidateQueries({ queryKey: queueKey })
    }
  })

  const reasons = settings.data?.exclusionReasons ?? []
  const act = (decision: Decision) => {
    if (!current) return
    const reason = decision === 'exclude' && reasonIndex !== null ? reasons[reasonIndex] : undefined
    performance.mark('analylit:decision')
    decide.mutate({ id: current.id, decision, reason, note })
    setDecided((prev) => [...prev, current])
    setUndone(null)
    setReasonIndex(null)
    setMessage(null)
    clearNote()
  }
  const undo = () => {
    const last = decided[decided.length - 1]
    if (!last) return
    setDecided((prev) => prev.slice(0, -1))
    setUndone(last)
    setMessage(t('screening.undone'))
  }
  const skip = () => { if (current) setSkipped((prev) => [...prev.filter((id) => id !== current.id), current.id]) }

  const keys = useRef<(e: KeyboardEvent) => void>(() => {})
  keys.current = (e) => {
    if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return
    const k = e.key.toLowerCase()
    if (k === 'i') act('include')
    else if (k === 'e') act('exclude')
    else if (k === 'm') act('maybe')
    else if (k === 'u') undo()
    else if (k === 'n') skip()
    else if (/^[1-9]$/.test(k) && Number(k) <= reasons.length) setReasonIndex(Number(k) - 1)
    else return
    e.preventDefault()
  }
  useEffect(() => {
    const handler = (e: KeyboardEvent) => keys.current(e)
    window.addEventListener('keydown', handler)
    return () => window.removeEventListener('keydown', handler)
  }, [])
  useEffect(() => { if (current) performance.mark('analylit:record-shown') }, [current?.id])

  const include = settings.data?.highlightInclude ?? []
  const exclude = settings.data?.highlightExclude ?? []
  const reviewer = canReview(project.data?.role)
  return (
    <div className="screening">
      <section aria-labelledby="screening-title" className="record">
        <h2 id="screening-title" className="sr-only">{t('screening.title')}</h2>
        <ErrorMessage error={queue.error ?? settings.error ?? decide.error} />
        {message && <p role="status">{message}</p>}
        {queue.isPending && <p>{t('common.loading')}</p>}
        {queue.data && !current && <p role="status">{t('screening.done')}</p>}
        {current && (
          <article className="card" aria-live="polite" data-article-id={current.id}>
            <h3 className="record-title">{highlight(current.title || '—', include, exclude)}</h3>
            <p className="muted">{authorsText(current.authors)}{current.year ? ` · ${current.year}` : ''}{current.journal ? ` · ${current.journal}` : ''}</p>
            <p className="abstract">{highlight(current.abstract, include, exclude)}</p>
            <p className="muted">{t('screening.remaining', { count: Math.max(0, (queue.data?.total ?? 0) - decided.length) })}</p>
          </article>
        )}
        {current && reviewer && (
          <div className="card">
            <div className="row decisions">
              <button type="button" className="include" onClick={() => act('include')} aria-keyshortcuts="i">{t('decision.include')} (i)</button>
              <button type="button" className="exclude" onClick={() => act('exclude')} aria-keyshortcuts="e">{t('decision.exclude')} (e)</button>
              <button type="button" onClick={() => act('maybe')} aria-keyshortcuts="m">{t('decision.maybe')} (m)</button>
              <button type="button" onClick={undo} aria-keyshortcuts="u" disabled={decided.length === 0}>{t('screening.undo')}</button>
              <button type="button" onClick={skip} aria-keyshortcuts="n">{t('screening.next')}</button>
            </div>
            {reasons.length > 0 && (
              <fieldset className="reasons">
                <legend>{t('screening.reason')}</legend>
                {reasons.map((r, i) => (
                  <label key={r} className="inline"><input type="radio" name="reason" checked={reasonIndex === i} onChange={() => setReasonIndex(i)} /> {i + 1}. {r}</label>
                ))}
              </fieldset>
            )}
            <label>{t('screening.note')}<textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} /></label>
            <p className="muted">{t('screening.shortcuts')}</p>
          </div>
        )}
        {current && <LlmSuggestions projectId={projectId} articleId={current.id} />}
        <Keywords projectId={projectId} include={include} exclude={exclude} owner={project.data?.role === 'owner'} />
        {reviewer && <LlmRun projectId={projectId} />}
      </section>
      <StatsPanel stats={stats.data} />
    </div>
  )
}
