import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, call } from '../api/client'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'

export interface Field { key: string; label: string; type: string; required?: boolean; description?: string; unit?: string; choices?: string[]; columns?: Field[] }
export interface Grid { id: string; name: string; definition: { sections: Array<{ title: string; fields: Field[] }> } }
export interface Entry { value?: unknown; notReported?: boolean; quote?: string; page?: number; quoteUnverified?: boolean; invalidValue?: unknown; problem?: string }
export type Values = Record<string, Entry>
type Row = Record<string, unknown>

interface ModelExtraction { reviewerId: string; reviewerEmail: string; reviewerKind: string; values: Values; run: { model?: string } | null }

const shown = (value: unknown): string => (Array.isArray(value) && value.some((v) => typeof v === 'object') ? JSON.stringify(value) : Array.isArray(value) ? value.join('; ') : String(value))

/** A model's value for a field, with its quote and whether the quote was found in the text; "use" copies it into the form. */
function ModelValue({ model, entry, onUse }: { model: string; entry: Entry; onUse?: () => void }) {
  const { t } = useI18n()
  let text: string
  let flag: string | null = null
  if (entry.notReported) text = t('ex.notReported')
  else if (entry.invalidValue !== undefined) { text = shown(entry.invalidValue); flag = t('ex.llmInvalid', { problem: entry.problem ?? '' }) } else text = entry.value === undefined || entry.value === null ? '—' : shown(entry.value)
  const verified = !!entry.quote && !entry.quoteUnverified && entry.invalidValue === undefined
  return (
    <p className="muted llm-value" data-testid="llm-value">
      {t('ex.llmValue', { model })}: <strong>{text}</strong>
      {entry.quote && <> — “{entry.quote}”{entry.page !== undefined && ` (${t('ft.page', { n: entry.page })})`}</>}
      {verified && <span className="ok"> ✓ {t('ex.llmVerified')}</span>}
      {entry.quoteUnverified && <span className="warning"> ⚠ {t('ex.llmUnverified')}</span>}
      {flag && <span className="warning"> ⚠ {flag}</span>}
      {onUse && entry.invalidValue === undefined && <> <button type="button" onClick={onUse}>{t('ex.llmUse')}</button></>}
    </p>
  )
}

/** A "rows" field (e.g. outcomes × arms): a table with one input per column, rows added and removed. */
function RowsInput({ field, value, disabled, onChange }: { field: Field; value: unknown; disabled: boolean; onChange(value: unknown): void }) {
  const { t } = useI18n()
  const rows = Array.isArray(value) ? value as Row[] : []
  const columns = field.columns ?? []
  const setRow = (i: number, row: Row) => onChange(rows.map((r, k) => (k === i ? row : r)))
  return (
    <fieldset className="ex-rows" data-rows={field.key}>
      <legend>{field.label}{field.required ? ' *' : ''}</legend>
      <table>
        <thead><tr>{columns.map((c) => <th key={c.key} scope="col">{c.label}{c.unit ? ` (${c.unit})` : ''}</th>)}<th /></tr></thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c.key}>
                  <FieldInput field={{ ...c, label: t('ex.cell', { column: c.label, row: i + 1 }) }} entry={{ value: row[c.key] }} disabled={disabled}
                    onChange={(v) => { const next = { ...row }; if (v === undefined) delete next[c.key]; else next[c.key] = v; setRow(i, next) }} />
                </td>
              ))}
              <td><button type="button" disabled={disabled} onClick={() => onChange(rows.filter((_, k) => k !== i))}>{t('ex.removeRow', { row: i + 1 })}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" disabled={disabled} onClick={() => onChange([...rows, {}])}>{t('ex.addRow')}</button>
    </fieldset>
  )
}

/** One field's input, by type; the value is kept in the type the API expects (numbers as numbers, booleans as booleans). */
export function FieldInput({ field, entry, disabled, onChange }: { field: Field; entry: Entry; disabled: boolean; onChange(value: unknown): void }) {
  const { t } = useI18n()
  const value = entry.value
  const label = `${field.label}${field.unit ? ` (${field.unit})` : ''}${field.required ? ' *' : ''}`
  switch (field.type) {
    case 'integer': case 'number':
      return <label>{label}<input type="number" step={field.type === 'integer' ? 1 : 'any'} value={typeof value === 'number' ? value : ''} disabled={disabled} onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))} /></label>
    case 'boolean':
      return (
        <label>{label}
          <select value={value === true ? 'yes' : value === false ? 'no' : ''} disabled={disabled} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'yes')}>
            <option value="">—</option><option value="yes">{t('ex.yes')}</option><option value="no">{t('ex.no')}</option>
          </select>
        </label>
      )
    case 'single_choice':
      return (
        <label>{label}
          <select value={typeof value === 'string' ? value : ''} disabled={disabled} onChange={(e) => onChange(e.target.value || undefined)}>
            <option value="">—</option>{field.choices?.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
      )
    case 'multiple_choice': {
      const chosen = Array.isArray(value) ? value as string[] : []
      return (
        <fieldset><legend>{label}</legend>
          {field.choices?.map((c) => (
            <label key={c} className="inline">
              <input type="checkbox" checked={chosen.includes(c)} disabled={disabled} onChange={(e) => onChange(e.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c))} /> {c}
            </label>
          ))}
        </fieldset>
      )
    }
    case 'long_text':
      return <label>{label}<textarea value={typeof value === 'string' ? value : ''} disabled={disabled} onChange={(e) => onChange(e.target.value || undefined)} /></label>
    case 'rows':
      return <RowsInput field={field} value={value} disabled={disabled} onChange={(rows) => onChange(Array.isArray(rows) && rows.length ? rows : undefined)} />
    default:
      return <label>{label}<input value={typeof value === 'string' ? value : ''} disabled={disabled} placeholder={field.type === 'date' ? 'YYYY-MM-DD' : undefined} onChange={(e) => onChange(e.target.value || undefined)} /></label>
  }
}

/** The caller's extraction of an article with one of the project's grids, rendered as a form; saved as draft or complete. */
export function ExtractionForm({ projectId, articleId, editable }: { projectId: string; articleId: string; editable: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const grids = useQuery({ queryKey: ['project', projectId, 'grids'], queryFn: () => call<Array<{ id: string; name: string }>>('GET', `/api/projects/${projectId}/grids`) })
  const [gridId, setGridId] = useState('')
  const chosen = gridId || grids.data?.[0]?.id || ''
  const grid = useQuery({ queryKey: ['project', projectId, 'grids', chosen], queryFn: () => call<Grid>('GET', `/api/projects/${projectId}/grids/${chosen}`), enabled: !!chosen })
  const url = `/api/projects/${projectId}/articles/${articleId}/extractions/mine`
  const mineKey = ['project', projectId, 'extraction', articleId, chosen]
  const mine = useQuery({
    queryKey: mineKey,
    queryFn: async () => {
      try { return await call<{ status: string; values: Values }>('GET', `${url}?gridId=${chosen}`) } catch (e) { if (e instanceof ApiError && e.status === 404) return null; throw e }
    },
    enabled: !!chosen
  })
  // The models' extractions of the article the caller may see (blind like a colleague's).
  const models = useQuery({
    queryKey: ['project', projectId, 'extractions', articleId, chosen],
    queryFn: async () => (await call<{ extractions: ModelExtraction[] }>('GET', `/api/projects/${projectId}/articles/${articleId}/extractions?gridId=${chosen}`)).extractions.filter((e) => e.reviewerKind === 'llm'),
    enabled: !!chosen
  })
  // Unsaved values survive a reload; once saved, the form shows the stored extraction.
  const [draft, setDraft, clearDraft] = useDraft<Values | null>(`extraction.${projectId}.${articleId}.${chosen}`, null)
  const values = draft ?? mine.data?.values ?? {}
  const save = useMutation({
    mutationFn: (status: 'draft' | 'complete') => {
      const sent = Object.fromEntries(Object.entries(values).filter(([, e]) => e.notReported || e.value !== undefined))
      return call<{ status: string; values: Values }>('PUT', url, { gridId: chosen, status, values: sent })
    },
    onSuccess: (data) => { queryClient.setQueryData(mineKey, data); clearDraft() }
  })
  const set = (key: string, entry: Entry) => setDraft({ ...values, [key]: entry })
  if (grids.data?.length === 0) return <p>{t('ex.noGrid')}</p>
  return (
    <form className="card extraction" aria-label={t('ex.title')} onSubmit={(e) => e.preventDefault()}>
      <h4>{t('ex.title')}</h4>
      <ErrorMessage error={grids.error ?? grid.error ?? mine.error ?? models.error} />
      {(grids.data?.length ?? 0) > 1 && (
        <label>{t('ex.grid')} <select value={chosen} onChange={(e) => setGridId(e.target.value)}>{grids.data?.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}</select></label>
      )}
      {mine.data && <p className="muted">{t('ex.status', { status: mine.data.status })}</p>}
      {grid.data?.definition.sections.map((s) => (
        <fieldset key={s.title}>
          <legend>{s.title}</legend>
          {s.fields.map((f) => {
            const entry = values[f.key] ?? {}
            return (
              <div key={f.key} className="ex-field" data-field={f.key}>
                <FieldInput field={f} entry={entry} disabled={!editable || !!entry.notReported} onChange={(value) => set(f.key, { ...entry, value })} />
                <label className="inline"><input type="checkbox" checked={!!entry.notReported} disabled={!editable} onChange={(e) => set(f.key, e.target.checked ? { notReported: true } : {})} /> {t('ex.notReported')}</label>
                {models.data?.map((m) => {
                  const theirs = m.values[f.key]
                  if (!theirs) return null
                  const use = () => set(f.key, theirs.notReported ? { notReported: true } : { value: theirs.value, ...(theirs.quote ? { quote: theirs.quote } : {}), ...(theirs.page !== undefined ? { page: theirs.page } : {}) })
                  return <ModelValue key={m.reviewerId} model={m.run?.model ?? m.reviewerEmail} entry={theirs} onUse={editable && f.type !== 'rows' ? use : undefined} />
                })}
              </div>
            )
          })}
        </fieldset>
      ))}
      {editable && grid.data && (
        <div className="row">
          <button type="button" onClick={() => save.mutate('draft')}>{t('rob.saveDraft')}</button>
          <button type="button" className="primary" onClick={() => save.mutate('complete')}>{t('rob.complete')}</button>
        </div>
      )}
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p role="status">{t('rob.saved', { status: save.data.status })}</p>}
    </form>
  )
}
