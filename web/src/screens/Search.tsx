import { useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, call, ok } from '../api/client'
import type { ArticlePage, Task } from '../api/types'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useProjectEvents } from '../events'
import { useI18n } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'
import { TaskProgress } from '../task-progress'

type Identifiers = { pmids: string[]; dois: string[]; pmcids: string[]; arxivIds: string[] }

/** Sorts pasted identifiers (one per line, or separated by commas or spaces) by kind. */
export function classifyIdentifiers(text: string): Identifiers {
  const out: Identifiers = { pmids: [], dois: [], pmcids: [], arxivIds: [] }
  for (const raw of text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean)) {
    const id = raw.replace(/^(pmid|doi|arxiv):/i, '')
    if (/^pmc\d+$/i.test(id)) out.pmcids.push(id)
    else if (/^(https?:\/\/(dx\.)?doi\.org\/)?10\.\d{4,}\//i.test(id)) out.dois.push(id)
    else if (/^\d{1,9}$/.test(id)) out.pmids.push(id)
    else out.arxivIds.push(id)
  }
  return out
}

function Databases() {
  const { t } = useI18n()
  const databases = useQuery({ queryKey: ['databases'], queryFn: async () => ok(await api.GET('/api/databases')) })
  const yes = (b: boolean) => (b ? '✓' : '—')
  return (
    <section aria-labelledby="db-title" className="card">
      <h3 id="db-title">{t('search.databases')}</h3>
      <ErrorMessage error={databases.error} />
      <table>
        <thead><tr>
          <th scope="col">{t('search.database')}</th><th scope="col">{t('search.status')}</th><th scope="col">{t('search.rate')}</th>
          <th scope="col">{t('search.title')}</th><th scope="col">{t('search.lookup')}</th><th scope="col">{t('search.citations')}</th><th scope="col">{t('search.oa')}</th>
        </tr></thead>
        <tbody>
          {(databases.data ?? []).map((d) => (
            <tr key={d.id}>
              <td>{d.label}</td>
              <td className={d.configured ? '' : 'error'}>{d.configured ? t('search.ready') : t('search.missing', { missing: d.missing ?? '' })}</td>
              <td>{d.rateLimit.requestsPerSecond}/s</td>
              <td>{yes(d.supports.search)}</td><td>{yes(d.supports.lookup)}</td><td>{yes(d.supports.citations)}</td><td>{yes(d.supports.openAccessPdf)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function SearchForm({ projectId, started }: { projectId: string; started(task: Task): void }) {
  const { t } = useI18n()
  const databases = useQuery({ queryKey: ['databases'], queryFn: async () => ok(await api.GET('/api/databases')) })
  const usable = (databases.data ?? []).filter((d) => d.supports.search && d.configured)
  const [form, setForm, clear] = useDraft(`search.${projectId}`, { expert: false, query: '', selected: [] as string[], queries: {} as Record<string, string>, max: '' })
  const run = useMutation({
    mutationFn: () => {
      const max = form.max ? { maxRecordsPerDatabase: Number(form.max) } : {}
      const queries = Object.fromEntries(Object.entries(form.queries).filter(([id, q]) => q.trim() && usable.some((d) => d.id === id)))
      return call<Task>('POST', `/api/projects/${projectId}/searches`, form.expert ? { queries, ...max } : { query: form.query, databases: form.selected, ...max })
    },
    onSuccess: (task) => { started(task); clear() }
  })
  const submit = (e: FormEvent) => { e.preventDefault(); run.mutate() }
  const toggle = (id: string) => setForm({ ...form, selected: form.selected.includes(id) ? form.selected.filter((x) => x !== id) : [...form.selected, id] })
  return (
    <form className="card" onSubmit={submit} aria-labelledby="search-form-title">
      <h3 id="search-form-title">{t('search.run')}</h3>
      <fieldset>
        <legend>{t('search.mode')}</legend>
        <label className="inline"><input type="radio" name="mode" checked={!form.expert} onChange={() => setForm({ ...form, expert: false })} /> {t('search.simple')}</label>
        <label className="inline"><input type="radio" name="mode" checked={form.expert} onChange={() => setForm({ ...form, expert: true })} /> {t('search.expert')}</label>
      </fieldset>
      {!form.expert && (
        <>
          <label>{t('search.query')}<textarea rows={3} value={form.query} onChange={(e) => setForm({ ...form, query: e.target.value })} /></label>
          <fieldset>
            <legend>{t('search.databases')}</legend>
            {usable.map((d) => (
              <label key={d.id} className="inline"><input type="checkbox" checked={form.selected.includes(d.id)} onChange={() => toggle(d.id)} /> {d.label}</label>
            ))}
          </fieldset>
        </>
      )}
      {form.expert && usable.map((d) => (
        <label key={d.id}>{t('search.queryFor', { database: d.label })}
          <textarea rows={2} className="mono" value={form.queries[d.id] ?? ''} onChange={(e) => setForm({ ...form, queries: { ...form.queries, [d.id]: e.target.value } })} />
        </label>
      ))}
      <label>{t('search.max')}<input type="number" min={1} max={50000} value={form.max} onChange={(e) => setForm({ ...form, max: e.target.value })} /></label>
      <ErrorMessage error={run.error} />
      <button type="submit" disabled={run.isPending}>{t('search.submit')}</button>
    </form>
  )
}

function SearchLog({ projectId }: { projectId: string }) {
  const { t, lang } = useI18n()
  const log = useQuery({
    queryKey: ['project', projectId, 'searches'],
    queryFn: async () => ok(await api.GET('/api/projects/{projectId}/searches', { params: { path: { projectId } } }))
  })
  const n = (v: number | null) => (v === null ? '—' : v.toLocaleString(lang))
  return (
    <section aria-labelledby="log-title" className="card">
      <h3 id="log-title">{t('search.log')}</h3>
      <ErrorMessage error={log.error} />
      {log.data?.length === 0 && <p>{t('search.logEmpty')}</p>}
      {!!log.data?.length && (
        <table className="search-log">
          <thead><tr>
            <th scope="col">{t('search.database')}</th><th scope="col">{t('search.query')}</th><th scope="col">{t('search.date')}</th>
            <th scope="col">{t('search.hits')}</th><th scope="col">{t('search.retrieved')}</th><th scope="col">{t('search.new')}</th><th scope="col">{t('search.status')}</th>
          </tr></thead>
          <tbody>
            {log.data.map((run) => (
              <tr key={run.id}>
                <td>{run.databaseLabel}</td>
                <td className="mono">{run.queryAsSent ?? run.query}</td>
                <td>{new Date(run.startedAt ?? run.createdAt).toLocaleString(lang)}</td>
                <td>{n(run.totalHits)}</td><td>{n(run.retrieved)}</td><td>{n(run.newRecords)}</td>
                <td className={run.error ? 'error' : ''}>{run.status}{run.error ? `: ${run.error}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function IdentifierLookup({ projectId, started }: { projectId: string; started(task: Task): void }) {
  const { t } = useI18n()
  const [text, setText, clear] = useDraft(`identifiers.${projectId}`, '')
  const ids = classifyIdentifiers(text)
  const count = ids.pmids.length + ids.dois.length + ids.pmcids.length + ids.arxivIds.length
  const run = useMutation({
    mutationFn: () => call<Task>('POST', `/api/projects/${projectId}/identifiers`, Object.fromEntries(Object.entries(ids).filter(([, v]) => v.length > 0))),
    onSuccess: (task) => { started(task); clear() }
  })
  return (
    <form className="card" onSubmit={(e) => { e.preventDefault(); run.mutate() }} aria-labelledby="ids-title">
      <h3 id="ids-title">{t('search.identifiers')}</h3>
      <label>{t('search.identifiersHelp')}<textarea rows={3} className="mono" value={text} onChange={(e) => setText(e.target.value)} /></label>
      <p className="muted">{t('search.identifiersCount', { pmids: ids.pmids.length, dois: ids.dois.length, pmcids: ids.pmcids.length, arxiv: ids.arxivIds.length })}</p>
      <ErrorMessage error={run.error} />
      <button type="submit" disabled={count === 0 || run.isPending}>{t('search.identifiersSubmit')}</button>
    </form>
  )
}

/** Citation chasing from the records included at title/abstract, and the open-access PDFs of included records. */
function Chasing({ projectId, started }: { projectId: string; started(task: Task): void }) {
  const { t } = useI18n()
  const databases = useQuery({ queryKey: ['databases'], queryFn: async () => ok(await api.GET('/api/databases')) })
  const citationDbs = (databases.data ?? []).filter((d) => d.supports.citations)
  const [direction, setDirection] = useState<'backward' | 'forward' | 'both'>('both')
  const [database, setDatabase] = useState('openalex')
  const seeds = useQuery({
    queryKey: ['project', projectId, 'articles', 'included-seeds'],
    queryFn: () => call<ArticlePage>('GET', `/api/projects/${projectId}/articles?decision=include&pageSize=500`)
  })
  const chase = useMutation({
    mutationFn: () => call<Task>('POST', `/api/projects/${projectId}/citations`, { articleIds: (seeds.data?.items ?? []).map((a) => a.id), direction, database }),
    onSuccess: started
  })
  const fulltext = useMutation({ mutationFn: () => call<Task>('POST', `/api/projects/${projectId}/fulltext`, {}), onSuccess: started })
  const seedCount = seeds.data?.items.length ?? 0
  return (
    <>
      <form className="card" onSubmit={(e) => { e.preventDefault(); chase.mutate() }} aria-labelledby="cite-title">
        <h3 id="cite-title">{t('search.chasing')}</h3>
        <p>{t('search.seeds', { count: seedCount })}</p>
        <label>{t('search.direction')}
          <select value={direction} onChange={(e) => setDirection(e.target.value as typeof direction)}>
            <option value="both">{t('search.both')}</option><option value="backward">{t('search.backward')}</option><option value="forward">{t('search.forward')}</option>
          </select>
        </label>
        <label>{t('search.database')}
          <select value={database} onChange={(e) => setDatabase(e.target.value)}>
            {citationDbs.map((d) => <option key={d.id} value={d.id}>{d.label}</option>)}
          </select>
        </label>
        <ErrorMessage error={chase.error ?? seeds.error} />
        <button type="submit" disabled={seedCount === 0 || chase.isPending}>{t('search.chase')}</button>
      </form>
      <section className="card" aria-labelledby="oa-title">
        <h3 id="oa-title">{t('search.oaTitle')}</h3>
        <p className="muted">{t('search.oaHelp')}</p>
        <ErrorMessage error={fulltext.error} />
        <button type="button" onClick={() => fulltext.mutate()} disabled={fulltext.isPending}>{t('search.oaSubmit')}</button>
      </section>
    </>
  )
}

/** Search: databases and their status, simple and expert searches as tasks, the PRISMA-S log, identifiers, citations, open-access PDFs. */
export default function Search() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  const queryClient = useQueryClient()
  const [tasks, setTasks] = useState<string[]>([])
  useProjectEvents(projectId, (event) => {
    if (event.type === 'task.completed' || event.type === 'task.failed') void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'searches'] })
  })
  const started = (task: Task) => setTasks((prev) => [task.id, ...prev])
  const reviewer = canReview(project.data?.role)
  return (
    <section aria-labelledby="search-title" className="search">
      <h2 id="search-title">{t('search.heading')}</h2>
      {tasks.map((id) => <TaskProgress key={id} projectId={projectId} taskId={id} />)}
      <Databases />
      {reviewer && <SearchForm projectId={projectId} started={started} />}
      <SearchLog projectId={projectId} />
      {reviewer && <IdentifierLookup projectId={projectId} started={started} />}
      {reviewer && <Chasing projectId={projectId} started={started} />}
    </section>
  )
}
