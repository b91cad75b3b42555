import { useEffect, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, call, ok } from '../api/client'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { useProject, useProjectId } from '../project'

const PICO = ['population', 'intervention', 'comparison', 'outcome', 'studyDesign'] as const
type Pico = Partial<Record<(typeof PICO)[number], string>>
type Criteria = ({ kind: 'pico' } & Pico) | { kind: 'text'; text: string } | Record<string, never>
const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean)
const words = (text: string) => text.split(',').map((w) => w.trim()).filter(Boolean)

function ProjectForm({ projectId, owner }: { projectId: string; owner: boolean }) {
  const { t } = useI18n()
  const project = useProject(projectId)
  const queryClient = useQueryClient()
  const [draft, setDraft, clear] = useDraft(`project.${projectId}`, null as null | { name: string; question: string; reviewType: string; kind: string; text: string; pico: Pico })
  useEffect(() => {
    if (draft || !project.data) return
    const c = (project.data.criteria ?? {}) as Criteria
    setDraft({
      name: project.data.name, question: project.data.question, reviewType: project.data.reviewType,
      kind: 'kind' in c && c.kind === 'pico' ? 'pico' : 'text', text: 'kind' in c && c.kind === 'text' ? c.text : '',
      pico: 'kind' in c && c.kind === 'pico' ? Object.fromEntries(PICO.map((k) => [k, c[k] ?? ''])) : {}
    })
  }, [project.data, draft])
  const save = useMutation({
    mutationFn: () => {
      const d = draft!
      const criteria = d.kind === 'pico' ? { kind: 'pico', ...Object.fromEntries(Object.entries(d.pico).filter(([, v]) => v)) } : { kind: 'text', text: d.text }
      return call('PATCH', `/api/projects/${projectId}`, { name: d.name, question: d.question, reviewType: d.reviewType, criteria })
    },
    onSuccess: () => { clear(); void queryClient.invalidateQueries({ queryKey: ['project', projectId] }) }
  })
  if (!draft) return null
  const submit = (e: FormEvent) => { e.preventDefault(); save.mutate() }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="project-form-title">
      <h3 id="project-form-title">{t('projectSettings.project')}</h3>
      <fieldset disabled={!owner}>
        <label>{t('projectSettings.name')}<input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} /></label>
        <label>{t('projectSettings.question')}<textarea rows={2} value={draft.question} onChange={(e) => setDraft({ ...draft, question: e.target.value })} /></label>
        <label>{t('projectSettings.reviewType')}
          <select value={draft.reviewType} onChange={(e) => setDraft({ ...draft, reviewType: e.target.value })}>
            <option value="systematic">{t('projectSettings.systematic')}</option><option value="scoping">{t('projectSettings.scoping')}</option>
          </select>
        </label>
        <fieldset>
          <legend>{t('projectSettings.criteria')}</legend>
          <label className="inline"><input type="radio" name="criteria-kind" checked={draft.kind === 'text'} onChange={() => setDraft({ ...draft, kind: 'text' })} /> {t('projectSettings.freeText')}</label>
          <label className="inline"><input type="radio" name="criteria-kind" checked={draft.kind === 'pico'} onChange={() => setDraft({ ...draft, kind: 'pico' })} /> PICO</label>
          {draft.kind === 'text' && <label>{t('projectSettings.criteriaText')}<textarea rows={4} value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} /></label>}
          {draft.kind === 'pico' && PICO.map((k) => (
            <label key={k}>{t(`projectSettings.${k}`)}<input value={draft.pico[k] ?? ''} onChange={(e) => setDraft({ ...draft, pico: { ...draft.pico, [k]: e.target.value } })} /></label>
          ))}
        </fieldset>
      </fieldset>
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('settings.saved')}</p>}
      {owner && <button type="submit" disabled={save.isPending}>{t('common.save')}</button>}
    </form>
  )
}

function ScreeningForm({ projectId, owner }: { projectId: string; owner: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const key = ['project', projectId, 'screening-settings']
  const settings = useQuery({ queryKey: key, queryFn: async () => ok(await api.GET('/api/projects/{projectId}/screening-settings', { params: { path: { projectId } } })) })
  const [draft, setDraft, clear] = useDraft(`screening-settings.${projectId}`, null as null | { reviewersPerRecord: number; blind: boolean; classifier: string; reasons: string; include: string; exclude: string })
  useEffect(() => {
    if (draft || !settings.data) return
    const s = settings.data
    setDraft({ reviewersPerRecord: s.reviewersPerRecord, blind: s.blind, classifier: s.classifier, reasons: s.exclusionReasons.join('\n'), include: s.highlightInclude.join(', '), exclude: s.highlightExclude.join(', ') })
  }, [settings.data, draft])
  const save = useMutation({
    mutationFn: () => {
      const d = draft!
      return call('PATCH', `/api/projects/${projectId}/screening-settings`, {
        reviewersPerRecord: d.reviewersPerRecord, blind: d.blind, classifier: d.classifier,
        exclusionReasons: lines(d.reasons), highlightInclude: words(d.include), highlightExclude: words(d.exclude)
      })
    },
    onSuccess: (data) => { clear(); queryClient.setQueryData(key, data) }
  })
  if (!draft) return <ErrorMessage error={settings.error} />
  return (
    <form className="card" onSubmit={(e) => { e.preventDefault(); save.mutate() }} aria-labelledby="screening-form-title">
      <h3 id="screening-form-title">{t('projectSettings.screening')}</h3>
      <fieldset disabled={!owner}>
        <label>{t('projectSettings.reviewers')}
          <select value={draft.reviewersPerRecord} onChange={(e) => setDraft({ ...draft, reviewersPerRecord: Number(e.target.value) })}>
            <option value={1}>1</option><option value={2}>2</option>
          </select>
        </label>
        <label className="inline"><input type="checkbox" checked={draft.blind} onChange={(e) => setDraft({ ...draft, blind: e.target.checked })} /> {t('projectSettings.blind')}</label>
        <label>{t('projectSettings.classifier')}
          <select value={draft.classifier} onChange={(e) => setDraft({ ...draft, classifier: e.target.value })}>
            {['ensemble', 'svm', 'nb', 'logistic'].map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <label>{t('projectSettings.reasons')}<textarea rows={4} value={draft.reasons} onChange={(e) => setDraft({ ...draft, reasons: e.target.value })} /></label>
        <label>{t('screening.includeWords')}<input value={draft.include} onChange={(e) => setDraft({ ...draft, include: e.target.value })} /></label>
        <label>{t('screening.excludeWords')}<input value={draft.exclude} onChange={(e) => setDraft({ ...draft, exclude: e.target.value })} /></label>
      </fieldset>
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('settings.saved')}</p>}
      {owner && <button type="submit" disabled={save.isPending}>{t('common.save')}</button>}
    </form>
  )
}

/** The project's question and criteria, and its screening settings (owners change them; others read them). */
export default function ProjectSettings() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const owner = useProject(projectId).data?.role === 'owner'
  return (
    <section aria-labelledby="project-settings-title">
      <h2 id="project-settings-title">{t('project.settings')}</h2>
      {!owner && <p className="muted">{t('projectSettings.ownersOnly')}</p>}
      <ProjectForm projectId={projectId} owner={owner} />
      <ScreeningForm projectId={projectId} owner={owner} />
    </section>
  )
}
