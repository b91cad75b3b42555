import { useRef, useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, call } from '../api/client'
import type { Article, ArticlePage, Task } from '../api/types'
import { ErrorMessage } from '../errors'
import { useProjectEvents } from '../events'
import { useI18n } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'
import { TaskProgress } from '../task-progress'
import { ExtractionForm } from './ExtractionForm'

interface Pages {
  status: 'ok' | 'error'; error: { code: string; message: string } | null; pageCount: number
  sections: Array<{ name: string; page: number }>; pages: Array<{ number: number; text: string }>
}
interface Hit { articleId: string; title: string; page: number; snippet: string }
interface BulkResult {
  matched: Array<{ fileId: string; fileName: string; articleId: string; rule: string; attached: boolean }>
  unmatched: Array<{ fileId: string; fileName: string }>
  archives?: Array<{ fileName: string; entries: number; pdfs: unknown[]; skipped: Array<{ path: string; reason: string }>; error?: string }>
}
interface StoredFile {
  fileId: string; fileName: string; size: number; uploadedAt: string; taskType: string | null
  extraction: { status: string; title: string | null } | null
  candidates: Array<{ articleId: string; title: string; year: number | null; score: number }>
}

/** The first page of an article's extracted text: null when it has no PDF, 'pending' when not extracted yet. */
function useFullText(projectId: string, articleId: string, from = 1, to = 1) {
  return useQuery({
    queryKey: ['project', projectId, 'fulltext', articleId, from, to],
    queryFn: async (): Promise<Pages | null | 'pending'> => {
      try {
        return await call<Pages>('GET', `/api/projects/${projectId}/articles/${articleId}/fulltext/pages?from=${from}&to=${to}`)
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return /not been extracted/.test(error.message) ? 'pending' : null
        throw error
      }
    }
  })
}

/** "«match»" snippets (the API's delimiters) as <mark>. */
function Snippet({ text }: { text: string }) {
  return <>{text.split(/(«[^»]*»)/).map((part, i) => (part.startsWith('«') ? <mark key={i}>{part.slice(1, -1)}</mark> : part))}</>
}

function ArticleRow({ article, editable, open, onOpen, onTask }: { article: Article; editable: boolean; open: boolean; onOpen(): void; onTask(task: Task): void }) {
  const { t } = useI18n()
  const projectId = useProjectId()
  const text = useFullText(projectId, article.id)
  const [error, setError] = useState<unknown>(null)
  const input = useRef<HTMLInputElement>(null)
  const upload = async (file: File | undefined) => {
    if (!file) return
    setError(null)
    const form = new FormData()
    form.append('file', file)
    try {
      const r = await call<{ task: Task | null }>('POST', `/api/projects/${projectId}/articles/${article.id}/fulltext`, form)
      if (r.task) onTask(r.task)
      await text.refetch()
    } catch (err) { setError(err) }
  }
  const status = text.data === undefined ? '…' : text.data === null ? t('ft.none') : text.data === 'pending' ? t('ft.pending')
    : text.data.status === 'ok' ? t('ft.extracted', { pages: text.data.pageCount }) : t('ft.failed', { message: text.data.error?.message ?? '' })
  return (
    <tr data-article={article.id}>
      <td>{article.title}</td>
      <td data-testid="ft-status">{status}<ErrorMessage error={text.error ?? error} /></td>
      <td>
        <div className="row">
          {editable && (
            <>
              <button type="button" onClick={() => input.current?.click()}>{t('ft.upload')}</button>
              <input ref={input} type="file" accept="application/pdf" hidden aria-label={`${t('ft.upload')}: ${article.title}`} onChange={(e) => { void upload(e.target.files?.[0]); e.target.value = '' }} />
            </>
          )}
          {text.data && text.data !== 'pending' && <button type="button" aria-expanded={open} onClick={onOpen}>{t('ft.read')}</button>}
        </div>
      </td>
    </tr>
  )
}

/** The extracted text, page by page (ten pages at a time). */
function Viewer({ article, editable, onClose }: { article: Article; editable: boolean; onClose(): void }) {
  const { t } = useI18n()
  const projectId = useProjectId()
  const [from, setFrom] = useState(1)
  const text = useFullText(projectId, article.id, from, from + 9)
  const data = text.data && text.data !== 'pending' ? text.data : null
  return (
    <section className="card" aria-labelledby="viewer-title">
      <h3 id="viewer-title">{article.title}</h3>
      <p className="row">
        <a href={`/api/projects/${projectId}/articles/${article.id}/fulltext`} target="_blank" rel="noreferrer">{t('ft.pdf')}</a>
        <button type="button" disabled={from === 1} onClick={() => setFrom(Math.max(1, from - 10))}>{t('ft.previous')}</button>
        <button type="button" disabled={!data || from + 10 > data.pageCount} onClick={() => setFrom(from + 10)}>{t('ft.next')}</button>
        <button type="button" onClick={onClose}>{t('common.close')}</button>
      </p>
      <ErrorMessage error={text.error} />
      {data?.sections.length ? <p className="muted">{data.sections.map((s) => `${s.name} (p. ${s.page})`).join(' · ')}</p> : null}
      <div className="ft-viewer">
        <div>
          {data?.pages.map((p) => (
            <article key={p.number} className="ft-page" aria-label={t('ft.page', { n: p.number })}>
              <h4>{t('ft.page', { n: p.number })}</h4>
              <pre className="ft-text">{p.text}</pre>
            </article>
          ))}
        </div>
        <ExtractionForm projectId={projectId} articleId={article.id} editable={editable} />
      </div>
    </section>
  )
}

function Search() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const [q, setQ] = useState('')
  const [query, setQuery] = useState('')
  const hits = useQuery({
    queryKey: ['project', projectId, 'fulltext-search', query],
    queryFn: () => call<{ items: Hit[]; total: number }>('GET', `/api/projects/${projectId}/fulltext/search?q=${encodeURIComponent(query)}&pageSize=50`),
    enabled: query !== ''
  })
  const submit = (e: FormEvent) => { e.preventDefault(); setQuery(q.trim()) }
  return (
    <section className="card" aria-labelledby="ft-search-title">
      <h3 id="ft-search-title">{t('ft.search')}</h3>
      <form className="row" onSubmit={submit} role="search">
        <label>{t('ft.searchLabel')} <input value={q} onChange={(e) => setQ(e.target.value)} /></label>
        <button type="submit">{t('ft.searchButton')}</button>
      </form>
      <ErrorMessage error={hits.error} />
      {hits.data && <p>{t('ft.hits', { n: hits.data.total })}</p>}
      <ul className="ft-hits">
        {hits.data?.items.map((h, i) => <li key={i}><strong>{h.title}</strong> — {t('ft.page', { n: h.page })}<br /><Snippet text={h.snippet} /></li>)}
      </ul>
    </section>
  )
}

/** Several PDFs at once: the bulk task, then its match report, with a picker for each unmatched file. */
function BulkUpload({ articles }: { articles: Article[] }) {
  const { t } = useI18n()
  const projectId = useProjectId()
  const queryClient = useQueryClient()
  const [task, setTask] = useState<string | null>(null)
  const [rejected, setRejected] = useState<Array<{ fileName: string; reason: string }>>([])
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<Record<string, string>>({})
  const input = useRef<HTMLInputElement>(null)
  const result = useQuery({
    queryKey: ['project', projectId, 'tasks', task],
    queryFn: () => call<Task>('GET', `/api/tasks/${task}`),
    enabled: !!task
  })
  const match = useMutation({
    mutationFn: ({ fileId, articleId }: { fileId: string; articleId: string }) => call('POST', `/api/projects/${projectId}/fulltext/files/${fileId}/match`, { articleId }),
    onSuccess: (_r, v) => { setDone((d) => ({ ...d, [v.fileId]: v.articleId })); void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'fulltext'] }) }
  })
  const [over, setOver] = useState(false)
  const upload = async (files: File[]) => {
    if (!files.length) return
    setError(null)
    const form = new FormData()
    for (const f of files) form.append('files', f)
    try {
      const r = await call<{ task: Task; rejected: Array<{ fileName: string; reason: string }> }>('POST', `/api/projects/${projectId}/fulltext/bulk`, form)
      setTask(r.task.id)
      setRejected(r.rejected)
    } catch (err) { setError(err) }
  }
  const report = result.data?.status === 'succeeded' ? result.data.result as BulkResult : null
  const title = (id: string) => articles.find((a) => a.id === id)?.title ?? id
  return (
    <section className="card" aria-labelledby="ft-bulk-title">
      <h3 id="ft-bulk-title">{t('ft.bulk')}</h3>
      <div
        className={`dropzone${over ? ' over' : ''}`} data-testid="ft-dropzone"
        onDragOver={(e) => { e.preventDefault(); setOver(true) }} onDragLeave={() => setOver(false)}
        onDrop={(e) => { e.preventDefault(); setOver(false); void upload([...e.dataTransfer.files]) }}
      >
        <p>{t('ft.bulkDrop')}</p>
        <button type="button" onClick={() => input.current?.click()}>{t('ft.bulkChoose')}</button>
        <input ref={input} type="file" multiple accept="application/pdf,application/zip,.pdf,.zip" hidden aria-label={t('ft.bulkChoose')} onChange={(e) => { void upload([...(e.target.files ?? [])]); e.target.value = '' }} />
      </div>
      <ErrorMessage error={error ?? match.error} />
      {rejected.map((r) => <p key={r.fileName} className="error">{r.fileName}: {r.reason}</p>)}
      {task && <TaskProgress projectId={projectId} taskId={task} />}
      {report && (
        <ul aria-label={t('ft.bulkReport')}>
          {report.archives?.map((a) => (
            <li key={a.fileName}>
              {a.error ? t('ft.archiveError', { file: a.fileName, message: a.error }) : t('ft.archive', { file: a.fileName, pdfs: a.pdfs.length, skipped: a.skipped.length })}
              {a.skipped.length > 0 && <ul>{a.skipped.map((s) => <li key={s.path}>{s.path}: {s.reason}</li>)}</ul>}
            </li>
          ))}
          {report.matched.map((m) => <li key={m.fileId}>{t('ft.matched', { file: m.fileName, title: title(m.articleId), rule: m.rule })}{!m.attached && ` (${t('ft.notAttached')})`}</li>)}
          {report.unmatched.map((u) => (
            <li key={u.fileId}>
              {t('ft.unmatched', { file: u.fileName })}{' '}
              {done[u.fileId]
                ? t('ft.attachedTo', { title: title(done[u.fileId]) })
                : (
                    <select aria-label={t('ft.matchTo', { file: u.fileName })} defaultValue="" onChange={(e) => e.target.value && match.mutate({ fileId: u.fileId, articleId: e.target.value })}>
                      <option value="">{t('ft.pick')}</option>
                      {articles.map((a) => <option key={a.id} value={a.id}>{a.title}</option>)}
                    </select>
                  )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

/** Starts an LLM extraction run: a grid and a profile's extraction model, over the records included at full text with an extracted text. */
function LlmExtractionRun() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const [open, setOpen] = useState(false)
  const grids = useQuery({ queryKey: ['project', projectId, 'grids'], enabled: open, queryFn: () => call<Array<{ id: string; name: string }>>('GET', `/api/projects/${projectId}/grids`) })
  const profiles = useQuery({ queryKey: ['profiles'], enabled: open, queryFn: () => call<Array<{ id: string; name: string; extractModel: string }>>('GET', '/api/profiles') })
  const [gridId, setGridId] = useState('')
  const [profileId, setProfileId] = useState('')
  const [taskId, setTaskId] = useState<string | null>(null)
  const run = useMutation({
    mutationFn: () => call<Task>('POST', `/api/projects/${projectId}/extraction/llm-runs`, { gridId: gridId || grids.data?.[0]?.id, profileId: profileId || profiles.data?.[0]?.id }),
    onSuccess: (task) => setTaskId(task.id)
  })
  return (
    <details className="card" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{t('ex.llmRun')}</summary>
      <p className="muted">{t('ex.llmRunHelp')}</p>
      <form onSubmit={(e) => { e.preventDefault(); run.mutate() }}>
        <label>{t('ex.grid')}
          <select value={gridId} onChange={(e) => setGridId(e.target.value)}>{(grids.data ?? []).map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}</select>
        </label>
        <label>{t('screening.llmProfile')}
          <select value={profileId} onChange={(e) => setProfileId(e.target.value)}>
            {(profiles.data ?? []).map((p) => <option key={p.id} value={p.id}>{p.name} ({p.extractModel})</option>)}
          </select>
        </label>
        <ErrorMessage error={run.error ?? grids.error ?? profiles.error} />
        <button type="submit" disabled={run.isPending || !profiles.data?.length || !grids.data?.length}>{t('ex.llmStart')}</button>
      </form>
      {taskId && <TaskProgress projectId={projectId} taskId={taskId} />}
    </details>
  )
}

/**
 * The project's PDFs attached to no article (left by a bulk upload, a ZIP or a
 * Zotero import): the closest articles as one-click matches, any article by
 * hand, or deletion.
 */
function UnmatchedFiles({ articles, editable }: { articles: Article[]; editable: boolean }) {
  const { t } = useI18n()
  const projectId = useProjectId()
  const queryClient = useQueryClient()
  const files = useQuery({
    queryKey: ['project', projectId, 'fulltext', 'unmatched'],
    queryFn: () => call<{ items: StoredFile[]; total: number }>('GET', `/api/projects/${projectId}/fulltext/files?status=unmatched&pageSize=100`)
  })
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['project', projectId, 'fulltext'] })
  const match = useMutation({
    mutationFn: ({ fileId, articleId }: { fileId: string; articleId: string }) => call('POST', `/api/projects/${projectId}/fulltext/files/${fileId}/match`, { articleId }),
    onSuccess: refresh
  })
  const remove = useMutation({
    mutationFn: (fileId: string) => call('DELETE', `/api/projects/${projectId}/fulltext/files/${fileId}`),
    onSuccess: refresh
  })
  return (
    <section className="card" aria-labelledby="ft-unmatched-title">
      <h3 id="ft-unmatched-title">{t('ft.unmatchedTitle')} ({files.data?.total ?? 0})</h3>
      <ErrorMessage error={files.error ?? match.error ?? remove.error} />
      {files.data && files.data.total === 0 && <p className="muted">{t('ft.unmatchedNone')}</p>}
      <ul className="ft-unmatched">
        {files.data?.items.map((f) => (
          <li key={f.fileId} data-file={f.fileId}>
            <strong>{f.fileName}</strong>{' '}
            <span className="muted">{t('ft.fileFacts', { size: Math.max(1, Math.round(f.size / 1024)), at: new Date(f.uploadedAt).toLocaleString(), task: f.taskType ?? '—' })}</span>
            {f.extraction?.title && <div className="muted">{t('ft.pdfTitle', { title: f.extraction.title })}</div>}
            {editable && (
              <div className="row">
                {f.candidates.map((c) => (
                  <button key={c.articleId} type="button" disabled={match.isPending} onClick={() => match.mutate({ fileId: f.fileId, articleId: c.articleId })}>
                    {t('ft.matchCandidate', { title: c.title, score: Math.round(c.score * 100) })}
                  </button>
                ))}
                <select aria-label={t('ft.attachStored', { file: f.fileName })} value="" onChange={(e) => e.target.value && match.mutate({ fileId: f.fileId, articleId: e.target.value })}>
                  <option value="">{t('ft.pick')}</option>
                  {articles.map((a) => <option key={a.id} value={a.id}>{a.title}</option>)}
                </select>
                <button type="button" disabled={remove.isPending} onClick={() => remove.mutate(f.fileId)}>{t('ft.deleteFile')}</button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}

/** Full texts of the records included at title/abstract: PDF and extraction status, uploads, search, the text page by page. */
export default function FullTexts() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  const queryClient = useQueryClient()
  const [tasks, setTasks] = useState<Task[]>([])
  const [open, setOpen] = useState<string | null>(null)
  useProjectEvents(projectId, (event) => {
    if (event.type === 'fulltext.extracted' || event.type === 'fulltext.attached') void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'fulltext'] })
    if (event.type === 'extraction.llm.article') void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'extractions'] })
  })
  const articles = useQuery({
    queryKey: ['project', projectId, 'articles', 'included-ta'],
    queryFn: () => call<ArticlePage>('GET', `/api/projects/${projectId}/articles?decision=include&stage=title_abstract&pageSize=500&sort=title`)
  })
  const editable = canReview(project.data?.role)
  const items = articles.data?.items ?? []
  const opened = items.find((a) => a.id === open)
  return (
    <section aria-labelledby="ft-title">
      <h2 id="ft-title">{t('ft.title')} ({articles.data?.total ?? 0})</h2>
      <ErrorMessage error={articles.error} />
      {tasks.map((task) => <TaskProgress key={task.id} projectId={projectId} taskId={task.id} />)}
      {articles.data && items.length === 0 && <p>{t('ft.empty')}</p>}
      {items.length > 0 && (
        <table className="ft-table">
          <thead><tr><th scope="col">{t('ft.article')}</th><th scope="col">{t('ft.status')}</th><th scope="col"><span className="sr-only">{t('ft.actions')}</span></th></tr></thead>
          <tbody>
            {items.map((a) => <ArticleRow key={a.id} article={a} editable={editable} open={open === a.id} onOpen={() => setOpen(open === a.id ? null : a.id)} onTask={(task) => setTasks((prev) => [task, ...prev])} />)}
          </tbody>
        </table>
      )}
      {opened && <Viewer article={opened} editable={editable} onClose={() => setOpen(null)} />}
      <Search />
      {editable && <BulkUpload articles={items} />}
      {editable && <LlmExtractionRun />}
      <UnmatchedFiles articles={items} editable={editable} />
    </section>
  )
}
