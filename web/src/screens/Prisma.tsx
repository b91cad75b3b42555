import { useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../api/client'
import { ErrorMessage } from '../errors'
import { useProjectEvents } from '../events'
import { useI18n, type MessageKey } from '../i18n'
import { ApiImage } from '../api-image'
import { canReview, useProject, useProjectId } from '../project'

interface Counts {
  identification: { sources: Array<{ kind: string; sourceDatabase: string | null; batches: number; records: number }>; total: number; duplicatesRemoved: number; recordsAfterDuplicates: number }
  screening: {
    titleAbstract: { records: number; screened: number; excluded: number; included: number; maybe: number; awaiting: number; conflicts: number }
    fullText: { soughtForRetrieval: number; assessed: number; excluded: number; exclusionReasons: Array<{ reason: string; count: number }>; included: number; maybe: number; awaiting: number; conflicts: number }
  }
  included: number
  overrides: Overrides
}

/** The PRISMA 2020 flow counts as tables of boxes, the diagram, the owners' overrides and the reporting checklists. */
export default function Prisma() {
  const { t, lang } = useI18n()
  const projectId = useProjectId()
  useProjectEvents(projectId)
  const counts = useQuery({ queryKey: ['project', projectId, 'prisma'], queryFn: () => call<Counts>('GET', `/api/projects/${projectId}/prisma`) })
  const c = counts.data
  const role = useProject(projectId).data?.role
  const n = (v: number) => v.toLocaleString(lang)
  const row = (key: MessageKey, value: number, vars?: Record<string, string>) => (
    <tr key={key + JSON.stringify(vars ?? {})}><th scope="row">{t(key, vars)}</th><td className="num">{n(value)}</td></tr>
  )
  return (
    <section aria-labelledby="prisma-title">
      <h2 id="prisma-title">{t('prisma.title')}</h2>
      <ErrorMessage error={counts.error} />
      {c && (
        <div className="prisma">
          <table className="card">
            <caption>{t('prisma.identification')}</caption>
            <tbody>
              {c.identification.sources.map((s) => row('prisma.source', s.records, { source: s.sourceDatabase ?? t('prisma.otherSource'), kind: s.kind }))}
              {row('prisma.identified', c.identification.total)}
              {row('prisma.duplicates', c.identification.duplicatesRemoved)}
              {row('prisma.afterDuplicates', c.identification.recordsAfterDuplicates)}
            </tbody>
          </table>
          <table className="card">
            <caption>{t('prisma.titleAbstract')}</caption>
            <tbody>
              {row('prisma.screened', c.screening.titleAbstract.screened)}
              {row('prisma.excluded', c.screening.titleAbstract.excluded)}
              {row('prisma.includedStage', c.screening.titleAbstract.included)}
              {row('prisma.maybe', c.screening.titleAbstract.maybe)}
              {row('prisma.awaiting', c.screening.titleAbstract.awaiting)}
              {row('prisma.conflicts', c.screening.titleAbstract.conflicts)}
            </tbody>
          </table>
          <table className="card">
            <caption>{t('prisma.fullText')}</caption>
            <tbody>
              {row('prisma.sought', c.screening.fullText.soughtForRetrieval)}
              {row('prisma.assessed', c.screening.fullText.assessed)}
              {row('prisma.excluded', c.screening.fullText.excluded)}
              {c.screening.fullText.exclusionReasons.map((r) => row('prisma.reason', r.count, { reason: r.reason }))}
              {row('prisma.awaiting', c.screening.fullText.awaiting)}
              {row('prisma.conflicts', c.screening.fullText.conflicts)}
            </tbody>
          </table>
          <table className="card">
            <caption>{t('prisma.included')}</caption>
            <tbody>{row('prisma.studies', c.included)}</tbody>
          </table>
        </div>
      )}
      {c && <Diagram projectId={projectId} version={counts.dataUpdatedAt} />}
      {c && role === 'owner' && <OverridesForm projectId={projectId} overrides={c.overrides} />}
      <Checklists projectId={projectId} editable={canReview(role)} />
    </section>
  )
}

type Override = { n: number; note: string }
interface Overrides {
  automation?: Override; otherRemoved?: Override; notRetrieved?: Override; studiesIncluded?: Override
  previous?: { studies: Override; reports: Override }; otherSources?: Array<{ name: string; n: Override }>
}
const SIMPLE_OVERRIDES = ['automation', 'otherRemoved', 'notRetrieved', 'studiesIncluded'] as const
const PREVIOUS = ['studies', 'reports'] as const
type OverrideDraft = Record<string, { n: string; note: string }>

function toDraft(o: Overrides): OverrideDraft {
  const d: OverrideDraft = {}
  for (const k of SIMPLE_OVERRIDES) d[k] = { n: o[k] ? String(o[k].n) : '', note: o[k]?.note ?? '' }
  for (const k of PREVIOUS) d[`previous.${k}`] = { n: o.previous ? String(o.previous[k].n) : '', note: o.previous?.[k].note ?? '' }
  return d
}

function fromDraft(d: OverrideDraft, kept: Overrides): Overrides {
  const one = (v: { n: string; note: string }) => v.n.trim() === '' ? undefined : { n: Number(v.n), note: v.note }
  const o: Overrides = {}
  for (const k of SIMPLE_OVERRIDES) { const v = one(d[k]); if (v) o[k] = v }
  const studies = one(d['previous.studies'])
  const reports = one(d['previous.reports'])
  if (studies && reports) o.previous = { studies, reports }
  if (kept.otherSources?.length) o.otherSources = kept.otherSources
  return o
}

/** The diagram as the service draws it, with its downloads. */
function Diagram({ projectId, version }: { projectId: string; version: number }) {
  const { t } = useI18n()
  const base = `/api/projects/${projectId}/prisma/diagram`
  return (
    <figure className="card prisma-diagram">
      <ApiImage src={`${base}.svg`} version={version} alt={t('prisma.diagramAlt')} />
      <figcaption>
        <a href={`${base}.svg`} download>{t('prisma.downloadSvg')}</a> · <a href={`${base}.png`} download>{t('prisma.downloadPng')}</a> · <a href={`${base}.pdf`} download>{t('prisma.downloadPdf')}</a>
      </figcaption>
    </figure>
  )
}

/** Owners: counts the records cannot tell, each with a note. */
function OverridesForm({ projectId, overrides }: { projectId: string; overrides: Overrides }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const [draft, setDraft] = useState<OverrideDraft>(() => toDraft(overrides))
  const save = useMutation({
    mutationFn: () => call<Overrides>('PUT', `/api/projects/${projectId}/prisma/overrides`, fromDraft(draft, overrides)),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['project', projectId, 'prisma'] })
  })
  const submit = (e: FormEvent) => { e.preventDefault(); save.mutate() }
  const field = (key: string) => (
    <fieldset key={key} className="override">
      <legend>{t(`prisma.override.${key}` as MessageKey)}</legend>
      <label className="inline">{t('prisma.overrideN')} <input type="number" min={0} value={draft[key].n} onChange={(e) => setDraft({ ...draft, [key]: { ...draft[key], n: e.target.value } })} /></label>
      <label className="inline">{t('prisma.overrideNote')} <input value={draft[key].note} required={draft[key].n !== ''} onChange={(e) => setDraft({ ...draft, [key]: { ...draft[key], note: e.target.value } })} /></label>
    </fieldset>
  )
  return (
    <form className="card" onSubmit={submit} aria-labelledby="overrides-title">
      <h3 id="overrides-title">{t('prisma.overridesTitle')}</h3>
      <p>{t('prisma.overridesHelp')}</p>
      {[...SIMPLE_OVERRIDES, 'previous.studies', 'previous.reports'].map(field)}
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('settings.saved')}</p>}
      <button type="submit" disabled={save.isPending}>{t('common.save')}</button>
    </form>
  )
}

type Status = 'reported' | 'not_reported' | 'not_applicable'
interface ChecklistItem { id: string; section: string; topic: string; text: string; optional: boolean; status: Status | null; location: string; notes: string; evidence: string | null; prefilled: boolean }
type ItemEdit = { status?: Status | null; location?: string; notes?: string }

/** The reporting checklists: status, location and notes per item, pre-filled evidence, exports. */
function Checklists({ projectId, editable }: { projectId: string; editable: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const list = useQuery({ queryKey: ['project', projectId, 'checklists'], queryFn: () => call<Array<{ id: string; name: string; items: number }>>('GET', `/api/projects/${projectId}/checklists`) })
  const [chosen, setChosen] = useState('prisma-2020')
  const key = ['project', projectId, 'checklist', chosen]
  const checklist = useQuery({ queryKey: key, queryFn: () => call<{ name: string; items: ChecklistItem[] }>('GET', `/api/projects/${projectId}/checklists/${chosen}`) })
  const [edits, setEdits] = useState<Record<string, ItemEdit>>({})
  const save = useMutation({
    mutationFn: () => call('PUT', `/api/projects/${projectId}/checklists/${chosen}`, { items: Object.entries(edits).map(([id, e]) => ({ id, ...e })) }),
    onSuccess: async () => { setEdits({}); await queryClient.invalidateQueries({ queryKey: key }) }
  })
  const edit = (id: string, change: ItemEdit) => setEdits({ ...edits, [id]: { ...edits[id], ...change } })
  const submit = (e: FormEvent) => { e.preventDefault(); save.mutate() }
  const exportUrl = (format: string) => `/api/projects/${projectId}/checklists/${chosen}/export?format=${format}`
  return (
    <form className="card checklist" onSubmit={submit} aria-labelledby="checklist-title">
      <h3 id="checklist-title">{t('prisma.checklists')}</h3>
      <label>{t('prisma.checklist')}
        <select value={chosen} onChange={(e) => { setChosen(e.target.value); setEdits({}) }}>
          {(list.data ?? [{ id: 'prisma-2020', name: 'PRISMA 2020', items: 0 }]).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
      </label>
      <p><a href={exportUrl('csv')} download>{t('prisma.exportCsv')}</a> · <a href={exportUrl('xlsx')} download>{t('prisma.exportXlsx')}</a></p>
      <ErrorMessage error={list.error ?? checklist.error} />
      {checklist.data && (
        <table>
          <thead><tr><th scope="col">#</th><th scope="col">{t('prisma.item')}</th><th scope="col">{t('prisma.itemStatus')}</th><th scope="col">{t('prisma.itemLocation')}</th><th scope="col">{t('prisma.itemNotes')}</th></tr></thead>
          <tbody>
            {checklist.data.items.map((item) => {
              const e = edits[item.id] ?? {}
              const status = e.status !== undefined ? e.status : item.status
              return (
                <tr key={item.id} data-item={item.id}>
                  <th scope="row">{item.id}</th>
                  <td>
                    <strong>{item.section} — {item.topic}</strong>
                    <p>{item.text}</p>
                    {item.evidence && <p className="evidence"><em>{item.prefilled ? t('prisma.prefilled') : t('prisma.evidence')}</em> {item.evidence}</p>}
                  </td>
                  <td>
                    <select aria-label={t('prisma.statusOf', { id: item.id })} disabled={!editable} value={status ?? ''} onChange={(ev) => edit(item.id, { status: (ev.target.value || null) as Status | null })}>
                      <option value="">—</option>
                      <option value="reported">{t('prisma.reported')}</option>
                      <option value="not_reported">{t('prisma.notReported')}</option>
                      <option value="not_applicable">{t('prisma.notApplicable')}</option>
                    </select>
                  </td>
                  <td><input aria-label={t('prisma.locationOf', { id: item.id })} disabled={!editable} value={e.location ?? item.location} onChange={(ev) => edit(item.id, { location: ev.target.value })} /></td>
                  <td><textarea aria-label={t('prisma.notesOf', { id: item.id })} rows={1} disabled={!editable} value={e.notes ?? item.notes} onChange={(ev) => edit(item.id, { notes: ev.target.value })} /></td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('settings.saved')}</p>}
      {editable && <button type="submit" disabled={save.isPending || Object.keys(edits).length === 0}>{t('prisma.saveChecklist')}</button>}
    </form>
  )
}
