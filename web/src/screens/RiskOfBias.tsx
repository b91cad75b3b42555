import { useEffect, useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, call } from '../api/client'
import type { ArticlePage, Task } from '../api/types'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useProjectEvents } from '../events'
import { useI18n } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'
import { TaskProgress } from '../task-progress'

export interface Question { id: string; text: string; options: string[]; appliesIf?: Array<{ anyOf: Array<{ question: string; answers: string[] }> }>; appliesIfText?: string }
export interface Tool {
  id: string; name: string; judgements: string[]; mode: 'algorithm' | 'judged'; answerLabels?: Record<string, string>
  domains: Array<{ id: string; name: string; questions: Question[]; applicability?: boolean }>
}
interface Support { text?: string; quote?: string; page?: number; quoteVerified?: boolean }
interface Assessment {
  status: 'draft' | 'complete'; answers: Record<string, string>; judgements: Record<string, string>
  kind?: 'reviewer' | 'consensus'; reviewerId?: string; reviewerEmail?: string; model?: string | null; support?: Record<string, Support>; run?: { problems: string[] } | null
  derived: { domains: Array<{ id: string; name: string; judgement: string; path: string[] }>; overall: { judgement: string; path: string[] } } | null
}
interface AtnScore { articleId: string; title: string; year: number | null; score: number; category: string }

/** The appraisal tools, and the records included at title/abstract: what the risk-of-bias and consensus screens choose from. */
export function useRobChoices(projectId: string) {
  const tools = useQuery({ queryKey: ['appraisal-tools'], queryFn: () => call<Tool[]>('GET', '/api/appraisal/tools'), staleTime: Infinity })
  const articles = useQuery({
    queryKey: ['project', projectId, 'articles', 'included-ta'],
    queryFn: () => call<ArticlePage>('GET', `/api/projects/${projectId}/articles?decision=include&stage=title_abstract&pageSize=500&sort=title`)
  })
  return { tools, articles }
}

export function ToolSelect({ tools, value, onChange }: { tools: Tool[] | undefined; value: string; onChange(toolId: string): void }) {
  const { t } = useI18n()
  return (
    <label>{t('rob.tool')}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {tools?.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
      </select>
    </label>
  )
}

export function ArticleSelect({ articles, value, onChange }: { articles: ArticlePage | undefined; value: string; onChange(articleId: string): void }) {
  const { t } = useI18n()
  return (
    <label>{t('ft.article')}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('ft.pick')}</option>
        {articles?.items.map((a) => <option key={a.id} value={a.id}>{a.title}</option>)}
      </select>
    </label>
  )
}

/** Whether a signalling question applies given the answers so far (the API's rule: an unanswered question counts as NA). */
export const applies = (q: Question, answers: Record<string, string>) => (q.appliesIf ?? []).every((c) => c.anyOf.some((o) => o.answers.includes(answers[o.question] ?? 'NA')))

/** One reviewer's assessment of an article with a tool: the questions that apply (or domain judgements), saved as draft or complete. */
function AssessmentForm({ tool, articleId, editable, onSaved }: { tool: Tool; articleId: string; editable: boolean; onSaved(): void }) {
  const { t } = useI18n()
  const projectId = useProjectId()
  const queryClient = useQueryClient()
  const url = `/api/projects/${projectId}/articles/${articleId}/rob/${tool.id}/mine`
  const mine = useQuery({
    queryKey: ['project', projectId, 'rob', tool.id, articleId],
    queryFn: async () => {
      try { return await call<Assessment>('GET', url) } catch (e) { if (e instanceof ApiError && e.status === 404) return null; throw e }
    }
  })
  // Unsaved answers survive a reload; once saved, the form shows the stored assessment.
  const [draft, setDraft, clearDraft] = useDraft<{ answers: Record<string, string>; judgements: Record<string, string> } | null>(`rob.${projectId}.${tool.id}.${articleId}`, null)
  const answers = draft?.answers ?? mine.data?.answers ?? {}
  const judgements = draft?.judgements ?? mine.data?.judgements ?? {}
  const setAnswers = (next: Record<string, string>) => setDraft({ answers: next, judgements })
  const setJudgements = (next: Record<string, string>) => setDraft({ answers, judgements: next })
  const save = useMutation({
    mutationFn: (status: 'draft' | 'complete') => {
      // Only the questions that apply are sent; the API checks the rest.
      const applicable = Object.fromEntries(Object.entries(answers).filter(([id, a]) => a && tool.domains.some((d) => d.questions.some((q) => q.id === id && applies(q, answers)))))
      // QUADAS-2's applicability concerns are judged beside the answers.
      const judged = Object.fromEntries(Object.entries(judgements).filter(([, j]) => j))
      return call<Assessment>('PUT', url, tool.mode === 'algorithm' ? { status, answers: applicable, ...(Object.keys(judged).length ? { judgements: judged } : {}) } : { status, judgements })
    },
    onSuccess: (data) => { queryClient.setQueryData(['project', projectId, 'rob', tool.id, articleId], data); clearDraft(); onSaved() }
  })
  const derived = save.data?.derived ?? mine.data?.derived
  return (
    <form className="card rob-form" onSubmit={(e) => e.preventDefault()} aria-label={t('rob.form')}>
      <ErrorMessage error={mine.error} />
      {tool.domains.map((d) => (
        <fieldset key={d.id}>
          <legend>{d.id} · {d.name}</legend>
          {d.questions.length
            ? d.questions.filter((q) => applies(q, answers)).map((q) => (
                <label key={q.id} className="rob-question">
                  <span>{q.id} {q.text}</span>
                  <select value={answers[q.id] ?? ''} disabled={!editable} onChange={(e) => setAnswers({ ...answers, [q.id]: e.target.value })}>
                    <option value="">—</option>
                    {q.options.map((o) => <option key={o} value={o}>{tool.answerLabels?.[o] ? `${o} (${tool.answerLabels[o]})` : o}</option>)}
                  </select>
                </label>
              ))
            : (
                <label className="rob-question">
                  <span>{t('rob.judgement')}</span>
                  <select value={judgements[d.id] ?? ''} disabled={!editable} onChange={(e) => setJudgements({ ...judgements, [d.id]: e.target.value })}>
                    <option value="">—</option>
                    {tool.judgements.map((j) => <option key={j} value={j}>{j}</option>)}
                  </select>
                </label>
              )}
        </fieldset>
      ))}
      {editable && (
        <div className="row">
          <button type="button" onClick={() => save.mutate('draft')}>{t('rob.saveDraft')}</button>
          <button type="button" className="primary" onClick={() => save.mutate('complete')}>{t('rob.complete')}</button>
        </div>
      )}
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('rob.saved', { status: t(save.data.status === 'complete' ? 'rob.statusComplete' : 'rob.statusDraft') })}</p>}
      {derived && (
        <table className="rob-derived" aria-label={t('rob.derived')}>
          <thead><tr><th scope="col">{t('rob.domain')}</th><th scope="col">{t('rob.judgement')}</th><th scope="col">{t('rob.path')}</th></tr></thead>
          <tbody>
            {derived.domains.map((d) => <tr key={d.id}><th scope="row">{d.id} {d.name}</th><td>{d.judgement}</td><td className="muted">{d.path.join(', ')}</td></tr>)}
            <tr><th scope="row">{t('rob.overall')}</th><td data-testid="rob-overall">{derived.overall.judgement}</td><td className="muted">{derived.overall.path.join(', ')}</td></tr>
          </tbody>
        </table>
      )}
    </form>
  )
}

/** The LLM-assisted assessment: start a run (the chosen article, or by default every article included at full text), and the model's answers with their quotes beside the caller's. */
function LlmAssessment({ tool, articleId, editable }: { tool: Tool; articleId: string; editable: boolean }) {
  const { t } = useI18n()
  const projectId = useProjectId()
  const [model, setModel] = useDraft(`rob.${projectId}.llmModel`, '')
  const [task, setTask] = useState<string | null>(null)
  const models = useQuery({ queryKey: ['llm-models'], queryFn: () => call<Array<{ name: string }>>('GET', '/api/llm/models'), retry: false })
  const start = useMutation({
    mutationFn: () => call<Task>('POST', `/api/projects/${projectId}/rob/${tool.id}/llm-runs`, { model, ...(articleId ? { articleIds: [articleId] } : {}) }),
    onSuccess: (r) => setTask(r.id)
  })
  const all = useQuery({
    queryKey: ['project', projectId, 'rob', tool.id, articleId, 'all', task],
    queryFn: () => call<Assessment[]>('GET', `/api/projects/${projectId}/articles/${articleId}/rob/${tool.id}`),
    enabled: Boolean(articleId)
  })
  const llm = all.data?.find((a) => a.model)
  const human = all.data?.find((a) => !a.model && a.kind !== 'consensus')
  const rows = tool.domains.flatMap((d) => d.questions.length ? d.questions.map((q) => ({ id: q.id, text: q.text })) : [{ id: d.id, text: d.name }])
  const quote = (s: Support | undefined) => s?.quote
    ? <>«{s.quote}»{s.page ? ` (p. ${s.page})` : ''}{s.quoteVerified === false && <strong className="warning"> {t('rob.llmUnverified')}</strong>}</>
    : s?.text ?? ''
  return (
    <section className="card" aria-labelledby="rob-llm">
      <h3 id="rob-llm">{t('rob.llm')}</h3>
      <p className="muted">{t('rob.llmHelp')}</p>
      {editable && (
        <form className="row" onSubmit={(e) => { e.preventDefault(); start.mutate() }}>
          <label>{t('rob.llmModel')}{' '}
            <input value={model} list="rob-llm-models" onChange={(e) => setModel(e.target.value)} required />
            <datalist id="rob-llm-models">{models.data?.map((m) => <option key={m.name} value={m.name} />)}</datalist>
          </label>
          <button type="submit">{articleId ? t('rob.llmRunArticle') : t('rob.llmRunIncluded')}</button>
        </form>
      )}
      <ErrorMessage error={start.error ?? all.error} />
      {task && <TaskProgress projectId={projectId} taskId={task} />}
      {llm && (
        <table aria-label={t('rob.llmAnswers')}>
          <thead><tr><th scope="col">{t('rob.question')}</th><th scope="col">{human?.reviewerEmail ?? t('rob.human')}</th><th scope="col">{llm.model}</th><th scope="col">{t('rob.llmQuote')}</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.id} {r.text}</th>
                <td>{human?.answers[r.id] ?? human?.judgements[r.id] ?? ''}</td>
                <td data-testid={`llm-answer-${r.id}`}>{llm.answers[r.id] ?? ''}</td>
                <td>{quote(llm.support?.[r.id])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {llm?.run?.problems.length ? <ul className="muted">{llm.run.problems.map((p) => <li key={p}>{p}</li>)}</ul> : null}
    </section>
  )
}

function Atn({ editable }: { editable: boolean }) {
  const { t } = useI18n()
  const projectId = useProjectId()
  const [task, setTask] = useState<string | null>(null)
  const scores = useQuery({
    queryKey: ['project', projectId, 'atn'],
    queryFn: () => call<{ items: AtnScore[]; total: number; stats: { mean: number | null } }>('GET', `/api/projects/${projectId}/atn/scores?pageSize=100`)
  })
  const score = useMutation({ mutationFn: () => call<Task>('POST', `/api/projects/${projectId}/atn/score`), onSuccess: (r) => setTask(r.id) })
  return (
    <section className="card" aria-labelledby="atn-title">
      <h3 id="atn-title">{t('rob.atn')}</h3>
      {editable && <button type="button" onClick={() => score.mutate()}>{t('rob.atnScore')}</button>}
      <ErrorMessage error={scores.error ?? score.error} />
      {task && <TaskProgress projectId={projectId} taskId={task} />}
      {scores.data && scores.data.total === 0 && <p>{t('rob.atnEmpty')}</p>}
      {!!scores.data?.items.length && (
        <table>
          <thead><tr><th scope="col">{t('ft.article')}</th><th scope="col">{t('rob.atnScoreCol')}</th><th scope="col">{t('rob.atnCategory')}</th></tr></thead>
          <tbody>{scores.data.items.map((s) => <tr key={s.articleId}><td>{s.title}{s.year ? ` (${s.year})` : ''}</td><td>{s.score.toFixed(1)}</td><td>{s.category}</td></tr>)}</tbody>
        </table>
      )}
    </section>
  )
}

/** A project figure (SVG) fetched afresh after each save and shown through a blob: URL (the figure routes take no cache-busting parameter). */
function Figure({ url, version, alt }: { url: string; version: number; alt: string }) {
  const figure = useQuery({
    queryKey: ['figure', url, version],
    queryFn: async () => {
      const response = await fetch(url, { credentials: 'same-origin' })
      if (!response.ok) throw new ApiError(response.status, (await response.json().catch(() => null) as { message?: string } | null)?.message ?? `HTTP ${response.status}`)
      return URL.createObjectURL(await response.blob())
    }
  })
  useEffect(() => () => { if (figure.data) URL.revokeObjectURL(figure.data) }, [figure.data])
  return (
    <>
      <ErrorMessage error={figure.error} />
      {figure.data && <img className="rob-figure" src={figure.data} alt={alt} />}
    </>
  )
}

/** Risk of bias: a tool, an article's assessment form, the project's traffic-light and summary plots, and the ATN scores. */
export default function RiskOfBias() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  useProjectEvents(projectId)
  const { tools, articles } = useRobChoices(projectId)
  const [toolId, setToolId] = useDraft(`rob.${projectId}.tool`, 'rob2')
  const [articleId, setArticleId] = useDraft(`rob.${projectId}.article`, '')
  const [version, setVersion] = useState(0)
  const tool = tools.data?.find((x) => x.id === toolId)
  const editable = canReview(project.data?.role)
  const figure = (kind: string) => `/api/projects/${projectId}/rob/${toolId}/${kind}.svg`
  return (
    <section aria-labelledby="rob-title">
      <h2 id="rob-title">{t('rob.title')}</h2>
      <ErrorMessage error={tools.error ?? articles.error} />
      <div className="row">
        <ToolSelect tools={tools.data} value={toolId} onChange={setToolId} />
        <ArticleSelect articles={articles.data} value={articleId} onChange={setArticleId} />
      </div>
      {articles.data?.total === 0 && <p>{t('ft.empty')}</p>}
      {tool && articleId && <AssessmentForm key={`${toolId}:${articleId}`} tool={tool} articleId={articleId} editable={editable} onSaved={() => setVersion((v) => v + 1)} />}
      {tool && <LlmAssessment key={`llm:${toolId}`} tool={tool} articleId={articleId} editable={editable} />}
      <section className="card" aria-labelledby="rob-figures">
        <h3 id="rob-figures">{t('rob.figures')}</h3>
        <p><a href={`/api/projects/${projectId}/rob/${toolId}/table?format=csv`}>{t('rob.tableCsv')}</a></p>
        <Figure url={figure('traffic-light')} version={version} alt={t('rob.trafficLight', { tool: tool?.name ?? toolId })} />
        <Figure url={figure('summary')} version={version} alt={t('rob.summary', { tool: tool?.name ?? toolId })} />
      </section>
      <Atn editable={editable} />
    </section>
  )
}
