import { useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../api/client'
import { ApiImage } from '../api-image'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n, type MessageKey } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'
import { TaskProgress } from '../task-progress'

type Kind = 'binary' | 'continuous' | 'generic'
const COLUMNS: Record<Kind, string[]> = {
  binary: ['events1', 'total1', 'events2', 'total2'],
  continuous: ['mean1', 'sd1', 'n1', 'mean2', 'sd2', 'n2'],
  generic: ['yi', 'se']
}
const MEASURES: Record<Kind, string[]> = { binary: ['OR', 'RR', 'RD'], continuous: ['SMD', 'MD'], generic: ['GEN'] }
const METHODS = ['REML', 'DL', 'PM', 'FE', 'MH', 'PETO']
const DIMENSIONS = ['year', 'journal', 'country', 'design', 'keyword', 'database']
const SETS = ['included', 'screened', 'all']

interface Summary { id: string; name: string; kind: string; measure: string; method: string; k: number; estimate: number; ciLb: number; ciUb: number }
interface Coefficient { estimate: number; se: number; stat: number; pval: number; ciLb: number; ciUb: number }
interface Analysis extends Summary { extractionInputs?: { excluded: Array<{ articleId: string; label: string; reason: string }> } | null; result: { logScale: boolean; level: number; pooled: Coefficient; tau2: number; I2: number; Q: number; Qdf: number; Qp: number } }
type Row = Record<string, string>
interface Draft { name: string; kind: Kind; measure: string; method: string; test: string; rows: Row[]; fromExtraction?: boolean; gridId?: string; fields?: Record<string, string>; group?: string }
interface GridField { key: string; label: string; type: string }
interface GridDetail { id: string; definition: { sections: Array<{ fields: GridField[] }> } }

const emptyRow = (): Row => ({ label: '', group: '' })
const initial: Draft = { name: '', kind: 'binary', measure: 'OR', method: 'REML', test: 'z', rows: [emptyRow(), emptyRow(), emptyRow()] }

/** Typed rows as the API takes them: numbers where given, blank rows left out. */
function toRows(draft: Draft) {
  return draft.rows.filter((r) => Object.values(r).some((v) => v.trim() !== '')).map((r) => {
    const row: Record<string, string | number> = { label: r.label.trim() }
    if (r.group?.trim()) row.group = r.group.trim()
    for (const c of COLUMNS[draft.kind]) if ((r[c] ?? '').trim() !== '') row[c] = Number(r[c])
    return row
  })
}

function AnalysisForm({ projectId, onCreated }: { projectId: string; onCreated(id: string): void }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [draft, setDraft, clear] = useDraft<Draft>(`analysis.${projectId}`, initial)
  const [file, setFile] = useState<File | null>(null)
  const create = useMutation({
    mutationFn: () => {
      const options = { name: draft.name, kind: draft.kind, measure: draft.measure, method: draft.method, test: draft.test }
      if (draft.fromExtraction) {
        const fields = Object.fromEntries(COLUMNS[draft.kind].filter((c) => draft.fields?.[c]).map((c) => [c, draft.fields![c]]))
        return call<Analysis>('POST', `/api/projects/${projectId}/analyses`, { ...options, inputs: { source: 'extraction', gridId: draft.gridId, fields, ...(draft.group ? { group: draft.group } : {}) } })
      }
      if (!file) return call<Analysis>('POST', `/api/projects/${projectId}/analyses`, { ...options, rows: toRows(draft) })
      const form = new FormData()
      for (const [k, v] of Object.entries(options)) form.append(k, v)
      form.append('file', file)
      return call<Analysis>('POST', `/api/projects/${projectId}/analyses/upload`, form)
    },
    onSuccess: async (a) => { clear(); setFile(null); await queryClient.invalidateQueries({ queryKey: ['project', projectId, 'analyses'] }); onCreated(a.id) }
  })
  const setKind = (kind: Kind) => setDraft({ ...draft, kind, measure: MEASURES[kind][0] })
  const setCell = (i: number, column: string, value: string) => setDraft({ ...draft, rows: draft.rows.map((r, j) => j === i ? { ...r, [column]: value } : r) })
  const submit = (e: FormEvent) => { e.preventDefault(); create.mutate() }
  const columns = ['label', 'group', ...COLUMNS[draft.kind]]
  const grids = useQuery({ queryKey: ['project', projectId, 'grids'], enabled: !!draft.fromExtraction, queryFn: () => call<Array<{ id: string; name: string }>>('GET', `/api/projects/${projectId}/grids`) })
  const gridId = draft.gridId ?? grids.data?.[0]?.id
  const grid = useQuery({ queryKey: ['project', projectId, 'grids', gridId], enabled: !!draft.fromExtraction && !!gridId, queryFn: () => call<GridDetail>('GET', `/api/projects/${projectId}/grids/${gridId}`) })
  const gridFields = (grid.data?.definition.sections ?? []).flatMap((sec) => sec.fields).filter((f) => f.type !== 'rows')
  const fieldPicker = (label: string, value: string | undefined, onChange: (v: string) => void) => (
    <label key={label} className="inline">{label}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('synthesis.noField')}</option>
        {gridFields.map((f) => <option key={f.key} value={f.key}>{f.label} ({f.key})</option>)}
      </select>
    </label>
  )
  return (
    <form className="card" onSubmit={submit} aria-labelledby="analysis-form-title">
      <h3 id="analysis-form-title">{t('synthesis.new')}</h3>
      <label>{t('synthesis.name')}<input required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} /></label>
      <label className="inline">{t('synthesis.kind')}
        <select value={draft.kind} onChange={(e) => setKind(e.target.value as Kind)}>
          {(['binary', 'continuous', 'generic'] as const).map((k) => <option key={k} value={k}>{t(`synthesis.kind.${k}`)}</option>)}
        </select>
      </label>
      <label className="inline">{t('synthesis.measure')}
        <select value={draft.measure} onChange={(e) => setDraft({ ...draft, measure: e.target.value })}>
          {MEASURES[draft.kind].map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <label className="inline">{t('synthesis.method')}
        <select value={draft.method} onChange={(e) => setDraft({ ...draft, method: e.target.value })}>
          {METHODS.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <label className="inline">{t('synthesis.test')}
        <select value={draft.test} onChange={(e) => setDraft({ ...draft, test: e.target.value })}>
          <option value="z">z</option><option value="knha">{t('synthesis.knha')}</option>
        </select>
      </label>
      <label className="inline"><input type="checkbox" checked={!!draft.fromExtraction} onChange={(e) => setDraft({ ...draft, fromExtraction: e.target.checked })} /> {t('synthesis.fromExtraction')}</label>
      {draft.fromExtraction && (
        <fieldset>
          <legend>{t('synthesis.fromExtraction')}</legend>
          <label className="inline">{t('synthesis.grid')}
            <select value={gridId ?? ''} onChange={(e) => setDraft({ ...draft, gridId: e.target.value, fields: {}, group: '' })}>
              {(grids.data ?? []).map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
            </select>
          </label>
          {COLUMNS[draft.kind].map((c) => fieldPicker(t('synthesis.fieldFor', { column: c }), draft.fields?.[c], (v) => setDraft({ ...draft, gridId, fields: { ...draft.fields, [c]: v } })))}
          {fieldPicker(t('synthesis.groupField'), draft.group, (v) => setDraft({ ...draft, gridId, group: v }))}
          <ErrorMessage error={grids.error ?? grid.error} />
        </fieldset>
      )}
      {!draft.fromExtraction && <>
        <table className="rows-table">
          <caption>{t('synthesis.rows')}</caption>
          <thead><tr>{columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
          <tbody>
            {draft.rows.map((r, i) => (
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c}><input aria-label={t('synthesis.cell', { column: c, row: i + 1 })} inputMode={c === 'label' || c === 'group' ? undefined : 'decimal'} value={r[c] ?? ''} onChange={(e) => setCell(i, c, e.target.value)} /></td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={() => setDraft({ ...draft, rows: [...draft.rows, emptyRow()] })}>{t('synthesis.addRow')}</button>
        <label>{t('synthesis.upload')}<input type="file" accept=".csv,.tsv,.txt,.xlsx" onChange={(e) => setFile(e.target.files?.[0] ?? null)} /></label>
      </>}
      <ErrorMessage error={create.error} />
      <button type="submit" className="primary" disabled={create.isPending}>{t('synthesis.run')}</button>
    </form>
  )
}

function AnalysisResult({ projectId, analysisId }: { projectId: string; analysisId: string }) {
  const { t, lang } = useI18n()
  const analysis = useQuery({ queryKey: ['project', projectId, 'analyses', analysisId], queryFn: () => call<Analysis>('GET', `/api/projects/${projectId}/analyses/${analysisId}`) })
  const a = analysis.data
  const f = (v: number, digits = 3) => v.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits })
  const base = `/api/projects/${projectId}/analyses/${analysisId}`
  if (!a) return <ErrorMessage error={analysis.error} />
  const r = a.result
  const back = (v: number) => r.logScale ? Math.exp(v) : v
  const rows: Array<[MessageKey, string]> = [
    ['synthesis.estimate', `${f(back(r.pooled.estimate))} (${f(back(r.pooled.ciLb))} – ${f(back(r.pooled.ciUb))})`],
    ['synthesis.p', r.pooled.pval < 0.001 ? '< 0.001' : f(r.pooled.pval)],
    ['synthesis.tau2', f(r.tau2, 4)],
    ['synthesis.i2', `${f(r.I2, 1)} %`],
    ['synthesis.q', `${f(r.Q, 2)} (df = ${r.Qdf}, p = ${r.Qp < 0.001 ? '< 0.001' : f(r.Qp)})`]
  ]
  return (
    <section className="card" aria-labelledby="analysis-title">
      <h3 id="analysis-title">{a.name}</h3>
      <table className="analysis-result">
        <caption>{t('synthesis.summary', { measure: a.measure, method: a.method, k: a.k, level: Math.round(r.level * 100) })}</caption>
        <tbody>{rows.map(([key, value]) => <tr key={key}><th scope="row">{t(key)}</th><td className="num">{value}</td></tr>)}</tbody>
      </table>
      {!!a.extractionInputs?.excluded.length && (
        <details>
          <summary>{t('synthesis.excluded', { n: a.extractionInputs.excluded.length })}</summary>
          <ul>{a.extractionInputs.excluded.map((e) => <li key={e.articleId}><strong>{e.label}</strong>: {e.reason}</li>)}</ul>
        </details>
      )}
      {(['forest', 'funnel'] as const).map((plot) => (
        <figure key={plot}>
          <ApiImage src={`${base}/${plot}.svg`} version={analysis.dataUpdatedAt} alt={t(`synthesis.${plot}Alt`, { name: a.name })} />
          <figcaption><a href={`${base}/${plot}.svg`} download>SVG</a> · <a href={`${base}/${plot}.png`} download>PNG</a> · <a href={`${base}/${plot}.pdf`} download>PDF</a></figcaption>
        </figure>
      ))}
    </section>
  )
}

function Analyses({ projectId, editable }: { projectId: string; editable: boolean }) {
  const { t, lang } = useI18n()
  const queryClient = useQueryClient()
  const [selected, setSelected] = useState<string | null>(null)
  const list = useQuery({ queryKey: ['project', projectId, 'analyses'], queryFn: () => call<Summary[]>('GET', `/api/projects/${projectId}/analyses`) })
  const remove = useMutation({
    mutationFn: (id: string) => call('DELETE', `/api/projects/${projectId}/analyses/${id}`),
    onSuccess: (_, id) => { if (selected === id) setSelected(null); return queryClient.invalidateQueries({ queryKey: ['project', projectId, 'analyses'] }) }
  })
  const f = (v: number) => v.toLocaleString(lang, { maximumFractionDigits: 3 })
  // Ratios are pooled on the log scale; shown as ratios, as in the result and the forest plot.
  const shown = (a: Summary, v: number) => f(['OR', 'RR'].includes(a.measure) ? Math.exp(v) : v)
  return (
    <>
      <h3>{t('synthesis.analyses')}</h3>
      <ErrorMessage error={list.error ?? remove.error} />
      {list.data?.length === 0 && <p className="muted">{t('synthesis.none')}</p>}
      {!!list.data?.length && (
        <table>
          <thead><tr><th scope="col">{t('synthesis.name')}</th><th scope="col">{t('synthesis.measure')}</th><th scope="col">k</th><th scope="col">{t('synthesis.pooled')}</th><th scope="col"><span className="sr-only">{t('synthesis.actions')}</span></th></tr></thead>
          <tbody>
            {list.data.map((a) => (
              <tr key={a.id} aria-current={a.id === selected || undefined}>
                <td><button type="button" className="link" onClick={() => setSelected(a.id)}>{a.name}</button></td>
                <td>{a.measure} · {a.method}</td><td className="num">{a.k}</td>
                <td className="num">{shown(a, a.estimate)} [{shown(a, a.ciLb)}, {shown(a, a.ciUb)}]</td>
                <td>{editable && <button type="button" onClick={() => remove.mutate(a.id)} aria-label={t('synthesis.delete', { name: a.name })}>{t('common.remove')}</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <AnalysisResult projectId={projectId} analysisId={selected} />}
      {editable && <AnalysisForm projectId={projectId} onCreated={setSelected} />}
    </>
  )
}

function Statistics({ projectId }: { projectId: string }) {
  const { t } = useI18n()
  const [dimension, setDimension] = useState('year')
  const [set, setSet] = useState('included')
  const stats = useQuery({
    queryKey: ['project', projectId, 'statistics', set],
    queryFn: () => call<{ total: number; dimensions: Record<string, { counts: Array<{ value: string; count: number }>; missing: number; distinct: number }> }>('GET', `/api/projects/${projectId}/statistics?set=${set}`)
  })
  const d = stats.data?.dimensions[dimension]
  return (
    <section className="card" aria-labelledby="stats-title">
      <h3 id="stats-title">{t('synthesis.statistics')}</h3>
      <label className="inline">{t('synthesis.dimension')}
        <select value={dimension} onChange={(e) => setDimension(e.target.value)}>{DIMENSIONS.map((x) => <option key={x} value={x}>{t(`synthesis.dim.${x}` as MessageKey)}</option>)}</select>
      </label>
      <label className="inline">{t('synthesis.set')}
        <select value={set} onChange={(e) => setSet(e.target.value)}>{SETS.map((x) => <option key={x} value={x}>{t(`synthesis.set.${x}` as MessageKey)}</option>)}</select>
      </label>
      <ErrorMessage error={stats.error} />
      {stats.data && d && <p>{t('synthesis.statsSummary', { total: stats.data.total, distinct: d.distinct, missing: d.missing })}</p>}
      <ApiImage className="chart" src={`/api/projects/${projectId}/statistics/${dimension}.svg?set=${set}`} version={stats.dataUpdatedAt} alt={t('synthesis.chartAlt', { dimension: t(`synthesis.dim.${dimension}` as MessageKey) })} />
    </section>
  )
}

interface ConceptNode { id: string; label: string; count: number; kind: 'keyword' | 'extraction-value' | 'llm-concept' }
interface ConceptRun {
  id: string; model: string; modelDigest: string | null; promptVersion: string; createdAt: string
  studies: Array<{ articleId: string }>; failures: Array<{ key: string; kind: string; message: string }>
  concepts: Array<{ key: string; label: string; flaggedIn: number; studies: Array<{ key: string; flagged: boolean; quotes: Array<{ text: string; found: boolean }> }> }>
}

/** The latest LLM concept run: provenance, failed studies, and the concepts flagged because their quotes occur nowhere in the study. */
function ConceptRunView({ run }: { run: ConceptRun }) {
  const { t } = useI18n()
  const flagged = run.concepts.flatMap((c) => c.studies.filter((s) => s.flagged).map((s) => ({ concept: c.label, study: s.key, quote: s.quotes[0]?.text ?? '' })))
  return (
    <div className="concept-run">
      <p className="muted">{t('llmConcepts.provenance', {
        model: run.model, digest: (run.modelDigest ?? '–').slice(0, 12), prompt: run.promptVersion, studies: run.studies.length,
        concepts: run.concepts.filter((c) => c.flaggedIn < c.studies.length).length, flagged: flagged.length, failed: run.failures.length
      })}</p>
      {run.failures.length > 0 && <ul className="error">{run.failures.map((f) => <li key={f.key}>[{f.key}] {f.kind}: {f.message}</li>)}</ul>}
      {flagged.length > 0 && (
        <table>
          <caption>{t('llmConcepts.flagged')}</caption>
          <thead><tr><th scope="col">{t('llmConcepts.concept')}</th><th scope="col">{t('llmConcepts.study')}</th><th scope="col">{t('llmConcepts.quote')}</th></tr></thead>
          <tbody>{flagged.map((f) => <tr key={`${f.concept}|${f.study}`} data-flag="unquoted"><td>{f.concept}</td><td>[{f.study}]</td><td><q>{f.quote}</q></td></tr>)}</tbody>
        </table>
      )}
    </div>
  )
}

/** Starts an LLM concept run (the model names each included study's key concepts with quotes) and follows it. */
function ConceptRunForm({ projectId, onStarted }: { projectId: string; onStarted: (taskId: string) => void }) {
  const { t } = useI18n()
  const [model, setModel] = useState('')
  const models = useQuery({ queryKey: ['llm-models'], retry: false, queryFn: () => call<Array<{ name: string }>>('GET', '/api/llm/models') })
  const start = useMutation({
    mutationFn: () => call<{ id: string }>('POST', `/api/projects/${projectId}/concepts/llm`, { model: model || models.data?.[0]?.name }),
    onSuccess: (task) => onStarted(task.id)
  })
  return (
    <form onSubmit={(e) => { e.preventDefault(); start.mutate() }}>
      <label className="inline">{t('llmSynthesis.model')}
        <input list="llm-concept-models" value={model} placeholder={models.data?.[0]?.name ?? 'llama3:8b'} onChange={(e) => setModel(e.target.value)} />
        <datalist id="llm-concept-models">{(models.data ?? []).map((m) => <option key={m.name} value={m.name} />)}</datalist>
      </label>
      <ErrorMessage error={start.error} />
      <button type="submit" disabled={start.isPending}>{t('llmConcepts.start')}</button>
    </form>
  )
}

function Concepts({ projectId, editable }: { projectId: string; editable: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [enriched, setEnriched] = useState(false)
  const [taskId, setTaskId] = useState<string | null>(null)
  const query = `set=all${enriched ? '&llm=true' : ''}`
  const run = useQuery({
    queryKey: ['project', projectId, 'concepts', 'llm'], retry: false, refetchInterval: taskId ? 3000 : false,
    queryFn: () => call<ConceptRun>('GET', `/api/projects/${projectId}/concepts/llm`).catch((error: { status?: number }) => { if (error.status === 404) return null; throw error })
  })
  const concepts = useQuery({
    queryKey: ['project', projectId, 'concepts', enriched, enriched ? run.data?.id : null],
    queryFn: () => call<{ records: number; nodes: ConceptNode[]; edges: Array<{ source: string; target: string; count: number }> }>('GET', `/api/projects/${projectId}/concepts?${query}`)
  })
  const nodes = new Map(concepts.data?.nodes.map((n) => [n.id, n]))
  const name = (id: string) => nodes.get(id)?.kind === 'llm-concept' ? t('llmConcepts.node', { label: nodes.get(id)!.label }) : nodes.get(id)?.label
  const top = [...concepts.data?.edges ?? []].sort((a, b) => b.count - a.count).slice(0, 20)
  const term = t(enriched ? 'llmConcepts.term' : 'synthesis.keyword')
  const started = async (id: string) => { setTaskId(id); setEnriched(true); await queryClient.invalidateQueries({ queryKey: ['project', projectId, 'concepts'] }) }
  return (
    <section className="card" aria-labelledby="concepts-title">
      <h3 id="concepts-title">{t('synthesis.concepts')}</h3>
      <label className="inline"><input type="checkbox" checked={enriched} onChange={(e) => setEnriched(e.target.checked)} /> {t('llmConcepts.include')}</label>
      <p><a href={`/api/projects/${projectId}/concepts?${query}&format=graphml`} download="concepts.graphml">{t('synthesis.graphml')}</a></p>
      {editable && <ConceptRunForm projectId={projectId} onStarted={started} />}
      {taskId && <TaskProgress projectId={projectId} taskId={taskId} />}
      <ErrorMessage error={concepts.error ?? run.error} />
      {run.data && <ConceptRunView run={run.data} />}
      {run.data === null && enriched && <p className="muted">{t('llmConcepts.none')}</p>}
      {concepts.data && top.length === 0 && <p className="muted">{t('synthesis.noConcepts')}</p>}
      {top.length > 0 && (
        <table>
          <caption>{t('synthesis.cooccurrences', { nodes: concepts.data!.nodes.length, records: concepts.data!.records })}</caption>
          <thead><tr><th scope="col">{term}</th><th scope="col">{term}</th><th scope="col">{t('synthesis.records')}</th></tr></thead>
          <tbody>{top.map((e) => <tr key={`${e.source}|${e.target}`}><td>{name(e.source)}</td><td>{name(e.target)}</td><td className="num">{e.count}</td></tr>)}</tbody>
        </table>
      )}
    </section>
  )
}

interface DraftSummary { id: string; version: number; language: string; model: string; studies: number; flags: { uncited: number; unknownKeys: number }; createdAt: string }
interface Sentence { text: string; keys: string[]; unknownKeys: string[]; uncited: boolean }
interface SynthesisDraft extends DraftSummary {
  modelDigest: string | null; promptVersion: string; options: { temperature: number; seed: number; strategy: string }
  sections: Array<{ name: string; text: string; sentences: Sentence[] }>
  citationKeys: Record<string, { articleId: string; title: string; year: number | null }>
}

/** One draft: each sentence in order, flagged ones highlighted (a key that is no included study, or no citation), and the key → study table. */
function DraftView({ projectId, draftId }: { projectId: string; draftId: string }) {
  const { t } = useI18n()
  const draft = useQuery({ queryKey: ['project', projectId, 'syntheses', draftId], queryFn: () => call<SynthesisDraft>('GET', `/api/projects/${projectId}/syntheses/${draftId}`) })
  const d = draft.data
  if (!d) return <ErrorMessage error={draft.error} />
  return (
    <article className="card synthesis-draft" aria-label={t('llmSynthesis.version', { version: d.version })}>
      <p className="muted">{t('llmSynthesis.provenance', { model: d.model, digest: (d.modelDigest ?? '–').slice(0, 12), prompt: d.promptVersion, temperature: d.options.temperature, seed: d.options.seed, strategy: d.options.strategy })}</p>
      {d.sections.map((section) => (
        <section key={section.name}>
          <h4>{t(section.name === 'discussion' ? 'llmSynthesis.discussion' : 'llmSynthesis.synthesis')}</h4>
          <p>
            {section.sentences.map((s, i) => {
              const flag = s.unknownKeys.length ? t('llmSynthesis.unknownKeys', { keys: s.unknownKeys.join(', ') }) : s.uncited ? t('llmSynthesis.uncited') : null
              return flag
                ? <mark key={i} className="flagged" title={flag} data-flag={s.unknownKeys.length ? 'unknown-key' : 'uncited'}>{s.text} <small>({flag})</small> </mark>
                : <span key={i}>{s.text} </span>
            })}
          </p>
        </section>
      ))}
      <table>
        <caption>{t('llmSynthesis.keys')}</caption>
        <tbody>{Object.entries(d.citationKeys).map(([key, a]) => <tr key={key}><th scope="row">[{key}]</th><td>{a.title}{a.year ? ` (${a.year})` : ''}</td></tr>)}</tbody>
      </table>
    </article>
  )
}

/** Generates the narrative synthesis and discussion drafts with a local model; lists the versions and shows the one chosen. */
function LlmSynthesis({ projectId, editable }: { projectId: string; editable: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [model, setModel] = useState('')
  const [language, setLanguage] = useState<'en' | 'fr'>('en')
  const [taskId, setTaskId] = useState<string | null>(null)
  const [selected, setSelected] = useState<string | null>(null)
  const models = useQuery({ queryKey: ['llm-models'], enabled: editable, retry: false, queryFn: () => call<Array<{ name: string }>>('GET', '/api/llm/models') })
  const drafts = useQuery({
    queryKey: ['project', projectId, 'syntheses'], refetchInterval: taskId ? 3000 : false,
    queryFn: () => call<DraftSummary[]>('GET', `/api/projects/${projectId}/syntheses`)
  })
  const start = useMutation({
    mutationFn: () => call<{ id: string }>('POST', `/api/projects/${projectId}/syntheses`, { model: model || models.data?.[0]?.name, language }),
    onSuccess: async (task) => { setTaskId(task.id); setSelected(null); await queryClient.invalidateQueries({ queryKey: ['project', projectId, 'syntheses'] }) }
  })
  const shown = selected ?? drafts.data?.[0]?.id ?? null
  return (
    <section className="card" aria-labelledby="llm-synthesis-title">
      <h3 id="llm-synthesis-title">{t('llmSynthesis.title')}</h3>
      {editable && (
        <form onSubmit={(e) => { e.preventDefault(); start.mutate() }}>
          <label className="inline">{t('llmSynthesis.model')}
            <input list="llm-synthesis-models" value={model} placeholder={models.data?.[0]?.name ?? 'llama3:8b'} onChange={(e) => setModel(e.target.value)} />
            <datalist id="llm-synthesis-models">{(models.data ?? []).map((m) => <option key={m.name} value={m.name} />)}</datalist>
          </label>
          <label className="inline">{t('llmSynthesis.language')}
            <select value={language} onChange={(e) => setLanguage(e.target.value as 'en' | 'fr')}>
              <option value="en">English</option><option value="fr">Français</option>
            </select>
          </label>
          <ErrorMessage error={start.error} />
          <button type="submit" className="primary" disabled={start.isPending}>{t('llmSynthesis.generate')}</button>
        </form>
      )}
      {taskId && <TaskProgress projectId={projectId} taskId={taskId} />}
      <ErrorMessage error={drafts.error} />
      {drafts.data?.length === 0 && <p className="muted">{t('llmSynthesis.none')}</p>}
      {!!drafts.data?.length && (
        <label className="inline">{t('llmSynthesis.versions')}
          <select value={shown ?? ''} onChange={(e) => setSelected(e.target.value)}>
            {drafts.data.map((d) => (
              <option key={d.id} value={d.id}>{t('llmSynthesis.option', { version: d.version, model: d.model, language: d.language, uncited: d.flags.uncited, unknown: d.flags.unknownKeys })}</option>
            ))}
          </select>
        </label>
      )}
      {shown && <DraftView projectId={projectId} draftId={shown} />}
    </section>
  )
}

/** Meta-analyses (typed, uploaded or from extraction), result, forest and funnel plots, descriptive statistics, the concept graph and the LLM synthesis drafts. */
export default function Synthesis() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const editable = canReview(useProject(projectId).data?.role)
  return (
    <section aria-labelledby="synthesis-title">
      <h2 id="synthesis-title">{t('synthesis.title')}</h2>
      <Analyses projectId={projectId} editable={editable} />
      <Statistics projectId={projectId} />
      <Concepts projectId={projectId} editable={editable} />
      <LlmSynthesis projectId={projectId} editable={editable} />
    </section>
  )
}
