import { useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react'
import { Link, useNavigate } from 'react-router'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useVirtualizer } from '@tanstack/react-virtual'
import { call } from '../api/client'
import type { ArticlePage, Article, Task } from '../api/types'
import { useDraft } from '../drafts'
import { ErrorMessage, useErrorText } from '../errors'
import { useProjectEvents, type ProjectEvent } from '../events'
import { useI18n } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'

interface ImportResult {
  format: string; encoding: string; imported: number; errorCount: number; errors: Array<{ position: { line?: number; index: number }; message: string }>
  /** A Zotero export with files (task "import-zotero"). */
  attachments?: { requested: number; attached: number }
}
interface FileImport { name: string; task?: Task; error?: unknown }

function ImportPanel({ projectId, imports, setImports }: { projectId: string; imports: FileImport[]; setImports: (f: (prev: FileImport[]) => FileImport[]) => void }) {
  const { t } = useI18n()
  const errorText = useErrorText()
  const [over, setOver] = useState(false)
  const [source, setSource] = useDraft(`import-source.${projectId}`, '')
  const [url, setUrl] = useDraft(`import-url.${projectId}`, '')
  const [urlError, setUrlError] = useState<unknown>(null)
  const input = useRef<HTMLInputElement>(null)
  const upload = (files: File[]) => {
    setImports((prev) => [...files.map((f) => ({ name: f.name })), ...prev])
    for (const file of files) {
      const form = new FormData()
      if (source) form.append('sourceDatabase', source)
      form.append('file', file)
      call<Task>('POST', `/api/projects/${projectId}/imports`, form).then(
        (task) => setImports((prev) => prev.map((i) => (i.name === file.name && !i.task && !i.error ? { ...i, task } : i))),
        (error) => setImports((prev) => prev.map((i) => (i.name === file.name && !i.task && !i.error ? { ...i, error } : i)))
      )
    }
  }
  const drop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    upload([...e.dataTransfer.files])
  }
  const importUrl = async (e: FormEvent) => {
    e.preventDefault()
    setUrlError(null)
    try {
      const task = await call<Task>('POST', `/api/projects/${projectId}/imports/url`, { url })
      setImports((prev) => [{ name: url, task }, ...prev])
      setUrl('')
    } catch (err) { setUrlError(err) }
  }
  return (
    <section aria-labelledby="import-title" className="card">
      <h2 id="import-title">{t('library.import')}</h2>
      <label>{t('library.sourceDatabase')}<input value={source} onChange={(e) => setSource(e.target.value)} /></label>
      <div className={`dropzone${over ? ' over' : ''}`} onDragOver={(e) => { e.preventDefault(); setOver(true) }} onDragLeave={() => setOver(false)} onDrop={drop}>
        <p>{t('library.drop')}</p>
        <button type="button" onClick={() => input.current?.click()}>{t('library.choose')}</button>
        <input ref={input} type="file" multiple hidden aria-label={t('library.choose')} data-testid="file-input" onChange={(e) => { upload([...(e.target.files ?? [])]); e.target.value = '' }} />
      </div>
      <ul className="imports" aria-live="polite">
        {imports.map((i, n) => {
          const result = i.task?.result as ImportResult | null | undefined
          const status = i.error ? errorText(i.error)
            : !i.task ? t('common.loading')
                : i.task.status === 'succeeded' && result ? `${result.format} · ${t('import.result', { imported: result.imported, errors: result.errorCount })}${result.attachments ? ` · ${t('import.attached', result.attachments)}` : ''}`
                  : i.task.status === 'failed' ? (i.task.error ?? i.task.status)
                    : `${i.task.status} ${Math.round(i.task.progress * 100)}%${i.task.message ? ` · ${i.task.message}` : ''}`
          return (
            <li key={`${i.name}-${n}`} className={i.error || i.task?.status === 'failed' ? 'error' : ''}>
              {t('import.file', { name: i.name, status })}
              {i.task && i.task.status !== 'succeeded' && i.task.status !== 'failed' && <progress max={1} value={i.task.progress} aria-label={i.name} />}
              {result?.errors?.length ? (
                <ul>{result.errors.slice(0, 20).map((e, k) => <li key={k}>{t('import.errorAt', { index: e.position.index, line: e.position.line ?? '?', message: e.message })}</li>)}</ul>
              ) : null}
            </li>
          )
        })}
      </ul>
      <form onSubmit={importUrl} className="row" aria-label={t('library.url')}>
        <label className="grow">{t('library.urlField')}<input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} /></label>
        <button type="submit">{t('library.urlSubmit')}</button>
      </form>
      <ErrorMessage error={urlError} />
    </section>
  )
}

interface Filters { q: string; decision: string; stage: string; sort: string; order: string }
const PAGE = 200
const FINAL = ['succeeded', 'failed', 'cancelled']

/** The article table: a virtualised list over the whole result (100,000 rows), pages fetched as they scroll into view. */
function ArticleTable({ projectId }: { projectId: string }) {
  const { t } = useI18n()
  const navigate = useNavigate()
  const [filters, setFilters] = useDraft<Filters>(`library-filters.${projectId}`, { q: '', decision: '', stage: 'title_abstract', sort: 'createdAt', order: 'asc' })
  const [q, setQ] = useState(filters.q)
  useEffect(() => { const id = setTimeout(() => { if (q !== filters.q) setFilters({ ...filters, q }) }, 300); return () => clearTimeout(id) })
  const [pages, setPages] = useState<Map<number, Article[]>>(new Map())
  const queryClient = useQueryClient()
  const params = (page: number) => {
    const p = new URLSearchParams({ page: String(page), pageSize: String(PAGE), sort: filters.sort, order: filters.order, stage: filters.stage })
    if (filters.q.trim()) p.set('q', filters.q.trim())
    if (filters.decision) p.set('decision', filters.decision)
    return p
  }
  const load = (page: number) => call<ArticlePage>('GET', `/api/projects/${projectId}/articles?${params(page)}`)
  const fetchPage = (page: number) => queryClient.fetchQuery({ queryKey: ['project', projectId, 'articles', filters, page], queryFn: () => load(page) })
  const first = useQuery({ queryKey: ['project', projectId, 'articles', filters, 1], queryFn: () => load(1) })
  useEffect(() => { setPages(first.data ? new Map([[1, first.data.items]]) : new Map()) }, [first.data])
  const total = first.data?.total ?? 0
  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({ count: total, getScrollElement: () => scroller.current, estimateSize: () => 36, overscan: 20 })
  const items = virtualizer.getVirtualItems()
  const firstRow = items[0]?.index ?? 0
  const lastRow = items[items.length - 1]?.index ?? 0
  useEffect(() => {
    for (let page = Math.floor(firstRow / PAGE) + 1; page <= Math.floor(lastRow / PAGE) + 1; page++) {
      if (pages.has(page)) continue
      void fetchPage(page).then((data) => setPages((prev) => new Map(prev).set(page, data.items)))
    }
  }, [firstRow, lastRow, pages])
  const row = (index: number) => pages.get(Math.floor(index / PAGE) + 1)?.[index % PAGE]
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setFilters({ ...filters, [key]: e.target.value })
  return (
    <section aria-labelledby="articles-title">
      <h2 id="articles-title">{t('library.total', { count: total.toLocaleString() })}</h2>
      <div className="filters row">
        <label className="grow">{t('library.search')}<input type="search" value={q} onChange={(e) => setQ(e.target.value)} /></label>
        <label>{t('library.decision')}
          <select value={filters.decision} onChange={set('decision')}>
            <option value="">{t('library.any')}</option>
            <option value="include">{t('decision.include')}</option>
            <option value="exclude">{t('decision.exclude')}</option>
            <option value="maybe">{t('decision.maybe')}</option>
            <option value="undecided">{t('library.undecided')}</option>
          </select>
        </label>
        <label>{t('library.stage')}
          <select value={filters.stage} onChange={set('stage')}>
            <option value="title_abstract">Title/abstract</option>
            <option value="full_text">Full text</option>
          </select>
        </label>
        <label>{t('library.sort')}
          <select value={filters.sort} onChange={set('sort')}>
            <option value="createdAt">{t('library.createdAt')}</option>
            <option value="title">{t('library.col.title')}</option>
            <option value="year">{t('library.col.year')}</option>
            <option value="journal">{t('library.col.journal')}</option>
          </select>
        </label>
        <label>{t('library.order')}
          <select value={filters.order} onChange={set('order')}>
            <option value="asc">{t('library.asc')}</option>
            <option value="desc">{t('library.desc')}</option>
          </select>
        </label>
      </div>
      <ErrorMessage error={first.error} />
      <div role="table" aria-label={t('project.library')} aria-rowcount={total + 1} className="vtable">
        <div role="rowgroup"><div role="row" className="vrow head" aria-rowindex={1}>
          <span role="columnheader">{t('library.col.title')}</span><span role="columnheader">{t('library.col.year')}</span>
          <span role="columnheader">{t('library.col.journal')}</span><span role="columnheader">{t('library.col.source')}</span>
          <span role="columnheader">{t('library.col.decision')}</span>
        </div></div>
        <div ref={scroller} role="rowgroup" className="vbody" tabIndex={0} aria-label={t('library.total', { count: total })}>
          <div role="presentation" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {items.map((v) => {
              const a = row(v.index)
              return (
                <div key={v.key} role="row" aria-rowindex={v.index + 2} className="vrow" style={{ transform: `translateY(${v.start}px)` }}
                  onDoubleClick={() => a && navigate(`/projects/${projectId}/articles/${a.id}`)}>
                  <span role="cell">{a ? <Link to={`/projects/${projectId}/articles/${a.id}`}>{a.title || '—'}</Link> : '…'}</span>
                  <span role="cell">{a?.year ?? ''}</span><span role="cell">{a?.journal ?? ''}</span>
                  <span role="cell">{a?.sourceDatabase ?? ''}</span><span role="cell">{a?.decision ? t(`decision.${a.decision}`) : ''}</span>
                </div>
              )
            })}
          </div>
        </div>
      </div>
    </section>
  )
}

function ExportPanel({ projectId }: { projectId: string }) {
  const { t } = useI18n()
  const [format, setFormat] = useState('ris')
  // Optional: each article's extraction (consensus, else the caller's complete one) and risk-of-bias judgements.
  const [gridId, setGridId] = useState('')
  const [robTool, setRobTool] = useState('')
  const grids = useQuery({ queryKey: ['project', projectId, 'grids'], queryFn: () => call<Array<{ id: string; name: string }>>('GET', `/api/projects/${projectId}/grids`) })
  const include = [...(gridId ? ['extraction'] : []), ...(robTool ? ['rob'] : [])]
  const query = new URLSearchParams({ format, ...(include.length ? { include: include.join(',') } : {}), ...(gridId ? { gridId } : {}), ...(robTool ? { robTool } : {}) })
  return (
    <section aria-labelledby="export-title" className="card row">
      <h2 id="export-title">{t('library.export')}</h2>
      <label>{t('library.exportFormat')}
        <select value={format} onChange={(e) => setFormat(e.target.value)}>
          {['ris', 'bibtex', 'csv', 'xlsx', 'csl-json'].map((f) => <option key={f} value={f}>{f}</option>)}
        </select>
      </label>
      {!!grids.data?.length && (
        <label>{t('library.exportExtraction')}
          <select value={gridId} onChange={(e) => setGridId(e.target.value)}>
            <option value="">{t('common.none')}</option>
            {grids.data.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
          </select>
        </label>
      )}
      <label>{t('library.exportRob')}
        <select value={robTool} onChange={(e) => setRobTool(e.target.value)}>
          <option value="">{t('common.none')}</option>
          {[['rob2', 'RoB 2'], ['robins-i', 'ROBINS-I'], ['rob1', 'RoB 1']].map(([id, name]) => <option key={id} value={id}>{name}</option>)}
        </select>
      </label>
      <a className="button" href={`/api/projects/${projectId}/export?${query.toString()}`} download>{t('library.download')}</a>
    </section>
  )
}

export default function Library() {
  const projectId = useProjectId()
  const project = useProject(projectId)
  const [imports, setImports] = useState<FileImport[]>([])
  // Live progress of this page's imports, from the WebSocket's task events.
  const onEvent = (event: ProjectEvent) => {
    const task = event.task
    if (task) setImports((prev) => prev.map((i) => (i.task?.id === task.id ? { ...i, task } : i)))
  }
  useProjectEvents(projectId, onEvent)
  // Events sent before the upload's answer arrived are not replayed: poll the unfinished ones too.
  const unfinished = imports.filter((i) => i.task && !FINAL.includes(i.task.status)).map((i) => i.task!.id).join(',')
  useEffect(() => {
    if (!unfinished) return
    const id = setInterval(() => {
      for (const taskId of unfinished.split(',')) {
        void call<Task>('GET', `/api/tasks/${taskId}`).then((task) => setImports((prev) => prev.map((i) => (i.task?.id === task.id ? { ...i, task } : i))), () => undefined)
      }
    }, 2000)
    return () => clearInterval(id)
  }, [unfinished])
  // A finished import changes the table (and the duplicates): refetch.
  const queryClient = useQueryClient()
  const finished = imports.filter((i) => i.task && FINAL.includes(i.task.status)).length
  useEffect(() => { if (finished > 0) void queryClient.invalidateQueries({ queryKey: ['project', projectId] }) }, [finished, projectId, queryClient])
  return (
    <>
      {canReview(project.data?.role) && <ImportPanel projectId={projectId} imports={imports} setImports={setImports} />}
      <ArticleTable projectId={projectId} />
      <ExportPanel projectId={projectId} />
    </>
  )
}
