import { useState, type FormEvent } from 'react'
import { Link, useNavigate } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ok } from '../api/client'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'

interface ProjectDraft {
  name: string; question: string; reviewType: 'systematic' | 'scoping'; kind: 'pico' | 'text'
  population: string; intervention: string; comparison: string; outcome: string; text: string
}
const EMPTY: ProjectDraft = { name: '', question: '', reviewType: 'systematic', kind: 'pico', population: '', intervention: '', comparison: '', outcome: '', text: '' }

function NewProject() {
  const { t } = useI18n()
  const [draft, setDraft, clearDraft] = useDraft<ProjectDraft>('new-project', EMPTY)
  const [open, setOpen] = useState(false)
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const create = useMutation({
    mutationFn: async (d: ProjectDraft) => {
      const criteria = d.kind === 'text'
        ? { kind: 'text' as const, text: d.text }
        : { kind: 'pico' as const, ...Object.fromEntries((['population', 'intervention', 'comparison', 'outcome'] as const).filter((k) => d[k]).map((k) => [k, d[k]])) }
      return ok(await api.POST('/api/projects/', { body: { name: d.name, question: d.question, reviewType: d.reviewType, criteria } }))
    },
    onSuccess: (project) => {
      clearDraft()
      void queryClient.invalidateQueries({ queryKey: ['projects'] })
      navigate(`/projects/${project.id}`)
    }
  })
  const field = (key: keyof ProjectDraft) => ({ value: draft[key], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }) })
  const submit = (e: FormEvent) => { e.preventDefault(); create.mutate(draft) }
  if (!open && draft === EMPTY) return <button type="button" className="primary" onClick={() => setOpen(true)}>{t('projects.new')}</button>
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-project">
      <h2 id="new-project">{t('projects.new')}</h2>
      <label>{t('projects.name')}<input required maxLength={300} {...field('name')} /></label>
      <label>{t('projects.question')}<textarea rows={2} {...field('question')} /></label>
      <label>{t('projects.reviewType')}
        <select {...field('reviewType')}>
          <option value="systematic">{t('projects.systematic')}</option>
          <option value="scoping">{t('projects.scoping')}</option>
        </select>
      </label>
      <fieldset>
        <legend>{t('projects.criteriaKind')}</legend>
        <label className="inline"><input type="radio" name="kind" checked={draft.kind === 'pico'} onChange={() => setDraft({ ...draft, kind: 'pico' })} /> {t('projects.criteria.pico')}</label>
        <label className="inline"><input type="radio" name="kind" checked={draft.kind === 'text'} onChange={() => setDraft({ ...draft, kind: 'text' })} /> {t('projects.criteria.text')}</label>
        {draft.kind === 'pico'
          ? (['population', 'intervention', 'comparison', 'outcome'] as const).map((k) => <label key={k}>{t(`projects.${k}`)}<input {...field(k)} /></label>)
          : <label>{t('projects.criteriaText')}<textarea rows={4} {...field('text')} /></label>}
      </fieldset>
      <ErrorMessage error={create.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={create.isPending}>{t('common.create')}</button>
        <button type="button" onClick={() => { clearDraft(); setOpen(false) }}>{t('common.cancel')}</button>
      </div>
    </form>
  )
}

export function Projects() {
  const { t } = useI18n()
  const projects = useQuery({ queryKey: ['projects'], queryFn: async () => ok(await api.GET('/api/projects/')) })
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">{t('projects.title')}</h1>
      <ErrorMessage error={projects.error} />
      {projects.data?.length === 0 && <p>{t('projects.empty')}</p>}
      <ul className="cards">
        {projects.data?.map((p) => (
          <li key={p.id} className="card">
            <h2><Link to={`/projects/${p.id}`}>{p.name}</Link></h2>
            {p.question && <p>{p.question}</p>}
            <p className="muted">{t(p.reviewType === 'scoping' ? 'projects.scoping' : 'projects.systematic')} · {t('projects.role', { role: p.role })}</p>
          </li>
        ))}
      </ul>
      <NewProject />
    </section>
  )
}
