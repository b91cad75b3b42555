import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, call, ok } from '../api/client'
import type { Task } from '../api/types'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { useMe } from '../session'
import { TaskProgress } from '../task-progress'

type Profile = { id: string; name: string; description: string; preprocessModel: string; extractModel: string; synthesisModel: string; screeningModel: string; isCustom: boolean }
type Prompt = { id: string; kind: string; name: string; template: string; isDefault: boolean; placeholders: string[] }
const MODEL_FIELDS = ['preprocessModel', 'extractModel', 'synthesisModel'] as const

function Models({ admin }: { admin: boolean }) {
  const { t, lang } = useI18n()
  const models = useQuery({ queryKey: ['llm-models'], queryFn: async () => ok(await api.GET('/api/llm/models')), retry: false })
  const [name, setName] = useState('')
  const [pulls, setPulls] = useState<string[]>([])
  const pull = useMutation({
    mutationFn: () => call<Task>('POST', '/api/llm/models/pull', { model: name }),
    onSuccess: (task) => { setPulls((prev) => [task.id, ...prev]); setName('') }
  })
  return (
    <section className="card" aria-labelledby="models-title">
      <h3 id="models-title">{t('settings.models')}</h3>
      <ErrorMessage error={models.error} />
      {models.data?.length === 0 && <p>{t('settings.noModels')}</p>}
      {!!models.data?.length && (
        <table>
          <thead><tr><th scope="col">{t('settings.model')}</th><th scope="col">{t('settings.family')}</th><th scope="col">{t('settings.size')}</th></tr></thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.name}><td className="mono">{m.name}</td><td>{[m.family, m.parameterSize].filter(Boolean).join(' · ')}</td><td>{m.size === null ? '—' : `${(m.size / 1e9).toLocaleString(lang, { maximumFractionDigits: 1 })} GB`}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && (
        <form onSubmit={(e) => { e.preventDefault(); pull.mutate() }}>
          <label>{t('settings.pullName')}<input className="mono" value={name} onChange={(e) => setName(e.target.value)} placeholder="llama3.1:8b" /></label>
          <ErrorMessage error={pull.error} />
          <button type="submit" disabled={!name || pull.isPending}>{t('settings.pull')}</button>
        </form>
      )}
      {pulls.map((id) => <TaskProgress key={id} taskId={id} />)}
    </section>
  )
}

function ProfileEditor({ profile, admin }: { profile: Profile; admin: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [draft, setDraft] = useDraft(`profile.${profile.id}`, { name: profile.name, description: profile.description, preprocessModel: profile.preprocessModel, extractModel: profile.extractModel, synthesisModel: profile.synthesisModel })
  const save = useMutation({
    mutationFn: () => call('PATCH', `/api/profiles/${encodeURIComponent(profile.id)}`, draft),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['profiles'] })
  })
  return (
    <li className="card">
      <form onSubmit={(e) => { e.preventDefault(); save.mutate() }} aria-label={profile.name}>
        <h4>{profile.name} <span className="muted mono">{profile.id}</span></h4>
        <fieldset disabled={!admin}>
          <label>{t('settings.profileName')}<input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} /></label>
          <label>{t('settings.description')}<input value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} /></label>
          {MODEL_FIELDS.map((field) => (
            <label key={field}>{t(`settings.${field}`)}<input className="mono" value={draft[field]} onChange={(e) => setDraft({ ...draft, [field]: e.target.value })} /></label>
          ))}
        </fieldset>
        <ErrorMessage error={save.error} />
        {save.isSuccess && <p role="status">{t('settings.saved')}</p>}
        {admin && <button type="submit" disabled={save.isPending}>{t('common.save')}</button>}
      </form>
    </li>
  )
}

function PromptEditor({ prompt, admin }: { prompt: Prompt; admin: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [draft, setDraft] = useDraft(`prompt.${prompt.id}`, { name: prompt.name, template: prompt.template })
  const editable = admin && !prompt.isDefault
  const save = useMutation({
    mutationFn: () => call('PATCH', `/api/prompts/${prompt.id}`, draft),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['prompts'] })
  })
  const remove = useMutation({
    mutationFn: () => call('DELETE', `/api/prompts/${prompt.id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['prompts'] })
  })
  return (
    <li className="card">
      <form onSubmit={(e) => { e.preventDefault(); save.mutate() }} aria-label={prompt.name}>
        <h4>{prompt.name} <span className="muted">({prompt.kind}{prompt.isDefault ? `, ${t('settings.default')}` : ''})</span></h4>
        <fieldset disabled={!editable}>
          <label>{t('settings.promptName')}<input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} /></label>
          <label>{t('settings.template')}<textarea className="mono" rows={10} spellCheck={false} value={draft.template} onChange={(e) => setDraft({ ...draft, template: e.target.value })} /></label>
        </fieldset>
        <p className="muted">{t('settings.placeholders', { list: prompt.placeholders.map((p) => `{{${p}}}`).join(' ') })}</p>
        <ErrorMessage error={save.error ?? remove.error} />
        {save.isSuccess && <p role="status">{t('settings.saved')}</p>}
        {editable && (
          <div className="row">
            <button type="submit" disabled={save.isPending}>{t('common.save')}</button>
            <button type="button" onClick={() => remove.mutate()}>{t('common.remove')}</button>
          </div>
        )}
      </form>
    </li>
  )
}

function NewPrompt() {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [draft, setDraft, clear] = useDraft('prompt.new', { kind: 'screening', name: '', template: '' })
  const create = useMutation({
    mutationFn: () => call('POST', '/api/prompts', draft),
    onSuccess: () => { clear(); void queryClient.invalidateQueries({ queryKey: ['prompts'] }) }
  })
  return (
    <form className="card" onSubmit={(e) => { e.preventDefault(); create.mutate() }} aria-labelledby="new-prompt-title">
      <h4 id="new-prompt-title">{t('settings.newPrompt')}</h4>
      <label>{t('settings.kind')}
        <select value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value })}>
          <option value="screening">screening</option><option value="extraction">extraction</option>
        </select>
      </label>
      <label>{t('settings.promptName')}<input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} /></label>
      <label>{t('settings.template')}<textarea className="mono" rows={8} spellCheck={false} value={draft.template} onChange={(e) => setDraft({ ...draft, template: e.target.value })} /></label>
      <ErrorMessage error={create.error} />
      <button type="submit" disabled={!draft.name || !draft.template || create.isPending}>{t('common.create')}</button>
    </form>
  )
}

/** Settings shared by every project: Ollama models, analysis profiles, prompt templates (administrators change them). */
export default function Settings() {
  const { t } = useI18n()
  const admin = !!useMe().data?.isAdmin
  const profiles = useQuery({ queryKey: ['profiles'], queryFn: () => call<Profile[]>('GET', '/api/profiles') })
  const prompts = useQuery({ queryKey: ['prompts'], queryFn: () => call<Prompt[]>('GET', '/api/prompts') })
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">{t('nav.settings')}</h1>
      {!admin && <p className="muted">{t('settings.adminsOnly')}</p>}
      <Models admin={admin} />
      <h2>{t('settings.profiles')}</h2>
      <ErrorMessage error={profiles.error} />
      <ul className="cards">{(profiles.data ?? []).map((p) => <ProfileEditor key={p.id} profile={p} admin={admin} />)}</ul>
      <h2>{t('settings.prompts')}</h2>
      <ErrorMessage error={prompts.error} />
      <ul className="plain">{(prompts.data ?? []).map((p) => <PromptEditor key={p.id} prompt={p} admin={admin} />)}</ul>
      {admin && <NewPrompt />}
    </section>
  )
}
