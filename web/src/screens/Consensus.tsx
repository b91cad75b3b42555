import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, call } from '../api/client'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { useProjectId } from '../project'
import { FieldInput, type Entry, type Field, type Grid, type Values } from './ExtractionForm'
import { applies, ArticleSelect, ToolSelect, useRobChoices, type Tool } from './RiskOfBias'

interface Reviewer { id: string; email: string; kind: string }
interface ExtractionComparison {
  reviewers: Reviewer[]; conflicts: number
  fields: Array<{ key: string; label: string; type: string; agree: boolean; values: Array<{ reviewerId: string; entry: Entry | null }> }>
  consensus: { values: Values; note: string | null } | null
}
interface Agreement {
  reviewers: Array<Reviewer & { completed: number }>
  fields: Array<{ key: string; label: string; type: string; items: number; percentAgreement: number | null
    pairs: Array<{ reviewerA: string; reviewerB: string; items: number; percentAgreement: number; kappa: number | null; interpretation: string | null }> }>
}
interface RobComparison {
  a: { reviewerId: string; reviewerEmail: string }; b: { reviewerId: string; reviewerEmail: string }
  questions: Array<{ id: string; a: string; b: string; agree: boolean }>
  domains: Array<{ id: string; a: string; b: string; agree: boolean }>
  overall: { a: string; b: string; agree: boolean }; conflicts: string[]
}
interface RobAssessment {
  kind: 'reviewer' | 'consensus'; outcome: string; answers: Record<string, string>; judgements: Record<string, string>
  derived: { overall: { judgement: string } } | null
}

/** Whether a comparison route answered "not enough complete extractions/assessments yet" rather than failing. */
const notYet = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 403)

/** A comparison that has nothing to compare yet, with a button to ask again once the reviewers have finished. */
function NotYet({ message, onRetry }: { message: string; onRetry(): void }) {
  const { t } = useI18n()
  return <p role="status" className="row">{t('cons.notYet', { message })} <button type="button" onClick={onRetry}>{t('cons.retry')}</button></p>
}

function useEntryText() {
  const { t } = useI18n()
  return (entry: Entry | null | undefined): string => {
    if (!entry) return '—'
    if (entry.notReported) return t('ex.notReported')
    const v = entry.value
    if (v === undefined || v === null || v === '') return '—'
    if (typeof v === 'boolean') return t(v ? 'ex.yes' : 'ex.no')
    if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' ? Object.values(x as object).join(' · ') : String(x))).join(' | ')
    return String(v)
  }
}

/** Extraction of one article by every reviewer, side by side; the consensus chosen or edited field by field. */
function ExtractionConsensus({ projectId, gridId, articleId }: { projectId: string; gridId: string; articleId: string }) {
  const { t } = useI18n()
  const text = useEntryText()
  const queryClient = useQueryClient()
  const grid = useQuery({ queryKey: ['project', projectId, 'grids', gridId], queryFn: () => call<Grid>('GET', `/api/projects/${projectId}/grids/${gridId}`) })
  const key = ['project', projectId, 'extraction-comparison', articleId, gridId]
  const comparison = useQuery({ queryKey: key, queryFn: () => call<ExtractionComparison>('GET', `/api/projects/${projectId}/articles/${articleId}/extractions/comparison?gridId=${gridId}`) })
  const [draft, setDraft, clearDraft] = useDraft<Values | null>(`consensus.${projectId}.${articleId}.${gridId}`, null)
  const [note, setNote] = useState('')
  const data = comparison.data
  // Start from the recorded consensus, else from the values every reviewer agrees on.
  const initial: Values = data?.consensus?.values ?? Object.fromEntries((data?.fields ?? [])
    .filter((f) => f.agree && f.values[0]?.entry).map((f) => [f.key, f.values[0]!.entry!]))
  const values = draft ?? initial
  const set = (k: string, entry: Entry) => setDraft({ ...values, [k]: entry })
  const save = useMutation({
    mutationFn: () => call<{ values: Values }>('PUT', `/api/projects/${projectId}/articles/${articleId}/extractions/consensus`, {
      gridId, values: Object.fromEntries(Object.entries(values).filter(([, e]) => e.notReported || (e.value !== undefined && e.value !== null))), ...(note ? { note } : {})
    }),
    onSuccess: () => { clearDraft(); void queryClient.invalidateQueries({ queryKey: key }); void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'extraction-agreement'] }) }
  })
  const fields = new Map<string, Field>((grid.data?.definition.sections ?? []).flatMap((s) => s.fields.map((f) => [f.key, f] as const)))
  if (comparison.error && notYet(comparison.error)) return <NotYet message={comparison.error.message} onRetry={() => void comparison.refetch()} />
  return (
    <form className="card" aria-label={t('cons.extraction')} onSubmit={(e) => { e.preventDefault(); save.mutate() }}>
      <ErrorMessage error={grid.error ?? comparison.error} />
      {data && data.reviewers.length < 2 && <p role="status">{t('cons.oneReviewer', { n: data.reviewers.length })}</p>}
      {data && <p data-testid="ex-conflicts">{t('cons.conflicts', { n: data.conflicts })}</p>}
      {data && (
        <table className="consensus-table">
          <thead>
            <tr>
              <th scope="col">{t('cons.field')}</th>
              {data.reviewers.map((r) => <th key={r.id} scope="col">{r.email}{r.kind === 'llm' ? ` (${t('cons.llm')})` : ''}</th>)}
              <th scope="col">{t('cons.consensus')}</th>
            </tr>
          </thead>
          <tbody>
            {data.fields.map((f) => {
              const field = fields.get(f.key)
              const entry = values[f.key] ?? {}
              return (
                <tr key={f.key} data-field={f.key} className={f.agree ? undefined : 'conflict'}>
                  <th scope="row">{f.label}{f.agree ? '' : <span className="badge">{t('cons.conflict')}</span>}</th>
                  {f.values.map((v) => {
                    const email = data.reviewers.find((r) => r.id === v.reviewerId)?.email ?? ''
                    return (
                      <td key={v.reviewerId}>
                        <span>{text(v.entry)}</span>
                        {v.entry?.quote && <q className="muted">{v.entry.quote}{v.entry.page !== undefined ? ` (p. ${v.entry.page})` : ''}</q>}
                        {!f.agree && v.entry && (
                          <button type="button" onClick={() => set(f.key, v.entry!)} aria-label={t('cons.useValueOf', { field: f.label, reviewer: email })}>{t('cons.use')}</button>
                        )}
                      </td>
                    )
                  })}
                  <td className="ex-field">
                    {field && <FieldInput field={{ ...field, label: t('cons.valueOf', { field: f.label }) }} entry={entry} disabled={!!entry.notReported} onChange={(value) => set(f.key, { ...entry, value })} />}
                    <label className="inline"><input type="checkbox" checked={!!entry.notReported} onChange={(e) => set(f.key, e.target.checked ? { notReported: true } : {})} /> {t('ex.notReported')}</label>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {data?.consensus && <p className="muted" role="status">{t('cons.recorded')}{data.consensus.note ? ` — ${data.consensus.note}` : ''}</p>}
      <label>{t('cons.note')} <input value={note} onChange={(e) => setNote(e.target.value)} /></label>
      <button type="submit" className="primary" disabled={!data || save.isPending}>{t('cons.save')}</button>
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('cons.saved')}</p>}
    </form>
  )
}

/** Per field: percent agreement over the articles two or more reviewers completed, and per pair Cohen's kappa (categorical fields). */
function AgreementView({ projectId, gridId }: { projectId: string; gridId: string }) {
  const { t } = useI18n()
  const agreement = useQuery({
    queryKey: ['project', projectId, 'extraction-agreement', gridId],
    queryFn: () => call<Agreement>('GET', `/api/projects/${projectId}/extractions/agreement?gridId=${gridId}`)
  })
  const email = (id: string) => agreement.data?.reviewers.find((r) => r.id === id)?.email ?? id
  return (
    <section className="card" aria-labelledby="agreement-title">
      <h3 id="agreement-title">{t('cons.agreement')}</h3>
      <ErrorMessage error={agreement.error} />
      {agreement.data && (
        <>
          <p className="muted">{agreement.data.reviewers.map((r) => t('cons.completed', { reviewer: r.email, n: r.completed })).join(' · ') || t('cons.noneComplete')}</p>
          <table aria-label={t('cons.agreement')}>
            <thead><tr><th scope="col">{t('cons.field')}</th><th scope="col">{t('cons.articles')}</th><th scope="col">{t('cons.percent')}</th><th scope="col">{t('cons.pairs')}</th></tr></thead>
            <tbody>
              {agreement.data.fields.map((f) => (
                <tr key={f.key} data-field={f.key}>
                  <th scope="row">{f.label}</th>
                  <td className="num">{f.items}</td>
                  <td className="num">{f.percentAgreement === null ? '—' : `${f.percentAgreement} %`}</td>
                  <td>{f.pairs.map((p) => (
                    <div key={`${p.reviewerA}:${p.reviewerB}`}>
                      {t('cons.pair', { a: email(p.reviewerA), b: email(p.reviewerB), percent: p.percentAgreement, n: p.items })}
                      {p.kappa !== null && ` · κ = ${p.kappa.toFixed(2)}${p.interpretation ? ` (${p.interpretation})` : ''}`}
                    </div>
                  ))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}

/** Two reviewers' risk-of-bias assessments of one result compared; the consensus answered question by question (or domain by domain). */
function RobConsensus({ projectId, tool, articleId, outcome }: { projectId: string; tool: Tool; articleId: string; outcome: string }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const base = `/api/projects/${projectId}/articles/${articleId}/rob/${tool.id}`
  const key = ['project', projectId, 'rob-compare', tool.id, articleId, outcome]
  const comparison = useQuery({ queryKey: key, queryFn: () => call<RobComparison>('GET', `${base}/compare?outcome=${encodeURIComponent(outcome)}`) })
  const list = useQuery({ queryKey: [...key, 'list'], queryFn: () => call<RobAssessment[]>('GET', base) })
  const existing = list.data?.find((a) => a.kind === 'consensus' && a.outcome === outcome.trim())
  const [draft, setDraft, clearDraft] = useDraft<Record<string, string> | null>(`rob-consensus.${projectId}.${tool.id}.${articleId}.${outcome}`, null)
  const c = comparison.data
  const algorithm = tool.mode === 'algorithm'
  const initial: Record<string, string> = (algorithm ? existing?.answers : existing?.judgements)
    ?? Object.fromEntries((algorithm ? c?.questions ?? [] : c?.domains ?? []).filter((x) => x.agree).map((x) => [x.id, x.a]))
  const chosen = draft ?? initial
  const save = useMutation({
    mutationFn: () => {
      const body = algorithm
        ? { status: 'complete', outcome, answers: Object.fromEntries(Object.entries(chosen).filter(([id, a]) => a && a !== 'NA' && tool.domains.some((d) => d.questions.some((q) => q.id === id && applies(q, chosen))))) }
        : { status: 'complete', outcome, judgements: chosen }
      return call<RobAssessment>('PUT', `${base}/consensus`, body)
    },
    onSuccess: () => { clearDraft(); void queryClient.invalidateQueries({ queryKey: [...key, 'list'] }) }
  })
  if (comparison.error && notYet(comparison.error)) return <NotYet message={comparison.error.message} onRetry={() => void comparison.refetch()} />
  const byId = new Map((algorithm ? c?.questions : c?.domains)?.map((x) => [x.id, x]) ?? [])
  const rows = algorithm
    ? tool.domains.flatMap((d) => d.questions.filter((q) => applies(q, chosen) || byId.has(q.id)).map((q) => ({ id: q.id, label: `${q.id} ${q.text}`, options: q.options })))
    : tool.domains.map((d) => ({ id: d.id, label: `${d.id} ${d.name}`, options: tool.judgements }))
  const derived = save.data?.derived ?? existing?.derived
  return (
    <form className="card" aria-label={t('cons.rob')} onSubmit={(e) => { e.preventDefault(); save.mutate() }}>
      <ErrorMessage error={comparison.error ?? list.error} />
      {c && (
        <>
          <p data-testid="rob-conflicts">{t('cons.conflicts', { n: c.conflicts.length })}</p>
          <table className="consensus-table">
            <thead><tr><th scope="col">{algorithm ? t('cons.question') : t('rob.domain')}</th><th scope="col">{c.a.reviewerEmail}</th><th scope="col">{c.b.reviewerEmail}</th><th scope="col">{t('cons.consensus')}</th></tr></thead>
            <tbody>
              {rows.map((r) => {
                const x = byId.get(r.id)
                return (
                  <tr key={r.id} data-item={r.id} className={x && !x.agree ? 'conflict' : undefined}>
                    <th scope="row">{r.label}</th>
                    <td>{x?.a ?? '—'}</td>
                    <td>{x?.b ?? '—'}</td>
                    <td>
                      <select aria-label={t('cons.valueOf', { field: r.id })} value={chosen[r.id] ?? ''} onChange={(e) => setDraft({ ...chosen, [r.id]: e.target.value })}>
                        <option value="">—</option>
                        {r.options.map((o) => <option key={o} value={o}>{o}</option>)}
                      </select>
                    </td>
                  </tr>
                )
              })}
              {algorithm && c.domains.map((d) => (
                <tr key={d.id} className={d.agree ? 'derived' : 'derived conflict'}><th scope="row">{d.id}</th><td>{d.a}</td><td>{d.b}</td><td className="muted">{t('cons.derived')}</td></tr>
              ))}
              <tr className={c.overall.agree ? 'derived' : 'derived conflict'}><th scope="row">{t('rob.overall')}</th><td>{c.overall.a}</td><td>{c.overall.b}</td><td data-testid="rob-consensus-overall">{derived?.overall.judgement ?? '—'}</td></tr>
            </tbody>
          </table>
        </>
      )}
      <button type="submit" className="primary" disabled={!c || save.isPending}>{t('cons.save')}</button>
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('cons.saved')}</p>}
    </form>
  )
}

/** Dual review: extraction and risk-of-bias comparisons per article, consensus, and agreement per field. */
export default function Consensus() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const grids = useQuery({ queryKey: ['project', projectId, 'grids'], queryFn: () => call<Array<{ id: string; name: string }>>('GET', `/api/projects/${projectId}/grids`) })
  const { tools, articles } = useRobChoices(projectId)
  const [gridId, setGridId] = useDraft(`consensus.${projectId}.grid`, '')
  const [articleId, setArticleId] = useDraft(`consensus.${projectId}.article`, '')
  const [toolId, setToolId] = useDraft(`consensus.${projectId}.tool`, 'rob2')
  const [outcome, setOutcome] = useState('')
  const grid = gridId || grids.data?.[0]?.id || ''
  const tool = tools.data?.find((x) => x.id === toolId)
  return (
    <section aria-labelledby="consensus-title">
      <h2 id="consensus-title">{t('cons.title')}</h2>
      <ErrorMessage error={grids.error ?? tools.error ?? articles.error} />
      <div className="row">
        <ArticleSelect articles={articles.data} value={articleId} onChange={setArticleId} />
      </div>
      {articles.data?.total === 0 && <p>{t('ft.empty')}</p>}
      <section aria-labelledby="cons-ex-title">
        <h3 id="cons-ex-title">{t('cons.extraction')}</h3>
        {grids.data?.length === 0 && <p>{t('ex.noGrid')}</p>}
        {(grids.data?.length ?? 0) > 1 && (
          <label>{t('ex.grid')} <select value={grid} onChange={(e) => setGridId(e.target.value)}>{grids.data?.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}</select></label>
        )}
        {grid && articleId && <ExtractionConsensus key={`${grid}:${articleId}`} projectId={projectId} gridId={grid} articleId={articleId} />}
        {grid && <AgreementView projectId={projectId} gridId={grid} />}
      </section>
      <section aria-labelledby="cons-rob-title">
        <h3 id="cons-rob-title">{t('cons.rob')}</h3>
        <div className="row">
          <ToolSelect tools={tools.data} value={toolId} onChange={setToolId} />
          <label>{t('cons.outcome')} <input value={outcome} onChange={(e) => setOutcome(e.target.value)} /></label>
        </div>
        {tool && articleId && <RobConsensus key={`${toolId}:${articleId}:${outcome}`} projectId={projectId} tool={tool} articleId={articleId} outcome={outcome} />}
      </section>
    </section>
  )
}
