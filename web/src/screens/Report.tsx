import { useState } from 'react'
import { useMutation, useQuery } from '@tanstack/react-query'
import { call } from '../api/client'
import type { Task } from '../api/types'
import { useProjectEvents } from '../events'
import { TaskProgress } from '../task-progress'
import { ErrorMessage } from '../errors'
import { useI18n, type MessageKey } from '../i18n'
import { useProjectId } from '../project'

const STYLES: Array<[string, string]> = [['apa', 'APA 7'], ['vancouver', 'Vancouver (NLM)'], ['harvard', 'Harvard (Cite Them Right)'], ['chicago', 'Chicago (author-date)'], ['ieee', 'IEEE']]
const FORMATS = ['text', 'html', 'rtf', 'docx', 'bibtex', 'ris']
const SETS = ['included', 'screened', 'all']
const LOCALES = ['', 'en-US', 'en-GB', 'fr-FR']
const EXTENSIONS: Record<string, string> = { text: 'txt', html: 'html', rtf: 'rtf', docx: 'docx', bibtex: 'bib', ris: 'ris' }

/** The bibliography in a citation style (preview and download) and the report workbook. */
export default function Report() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const [options, setOptions] = useState({ style: 'apa', format: 'text', set: 'included', locale: '' })
  const query = new URLSearchParams(Object.entries(options).filter(([, v]) => v)).toString()
  const url = `/api/projects/${projectId}/bibliography?${query}`
  const preview = useMutation({ mutationFn: () => call<string>('GET', url).then((text) => ({ format: options.format, text })) })
  const select = (name: keyof typeof options, values: Array<[string, string]>, label: MessageKey) => (
    <label className="inline">{t(label)}
      <select value={options[name]} onChange={(e) => { setOptions({ ...options, [name]: e.target.value }); preview.reset() }}>
        {values.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </label>
  )
  return (
    <section aria-labelledby="report-title">
      <h2 id="report-title">{t('report.title')}</h2>
      <section className="card" aria-labelledby="bib-title">
        <h3 id="bib-title">{t('report.bibliography')}</h3>
        {select('style', STYLES, 'report.style')}
        {select('format', FORMATS.map((f) => [f, t(`report.format.${f}` as MessageKey)]), 'report.format')}
        {select('set', SETS.map((s) => [s, t(`synthesis.set.${s}` as MessageKey)]), 'report.set')}
        {select('locale', LOCALES.map((l) => [l, l || t('report.styleLocale')]), 'report.locale')}
        <p>
          {options.format !== 'rtf' && options.format !== 'docx' && <button type="button" onClick={() => preview.mutate()} disabled={preview.isPending}>{t('report.preview')}</button>}{' '}
          <a className="button" href={url} download={`bibliography.${EXTENSIONS[options.format]}`}>{t('report.download')}</a>
        </p>
        <ErrorMessage error={preview.error} />
        {preview.data && preview.data.text === '' && <p className="muted">{t('report.empty')}</p>}
        {preview.data && preview.data.text !== '' && (preview.data.format === 'html'
          ? <iframe className="bib-preview" sandbox="" srcDoc={preview.data.text} title={t('report.previewTitle')} />
          : <pre className="bib-preview" tabIndex={0} aria-label={t('report.previewTitle')}>{preview.data.text}</pre>)}
      </section>
      <section className="card" aria-labelledby="workbook-title">
        <h3 id="workbook-title">{t('report.workbook')}</h3>
        <p>{t('report.workbookHelp')}</p>
        <a className="button" href={`/api/projects/${projectId}/report.xlsx`} download="report.xlsx">{t('report.downloadWorkbook')}</a>
      </section>
      <ReportTasks projectId={projectId} />
    </section>
  )
}

/** A report task's download link once it has succeeded (the task shares TaskProgress' cache entry). */
function ReportDownload({ projectId, taskId }: { projectId: string; taskId: string }) {
  const { t } = useI18n()
  const task = useQuery({ queryKey: ['project', projectId, 'tasks', taskId], queryFn: () => call<Task>('GET', `/api/tasks/${taskId}`) })
  const result = task.data?.status === 'succeeded' ? task.data.result as { fileName?: string } | null : null
  if (!result?.fileName) return null
  return <p><a className="button" href={`/api/projects/${projectId}/reports/${taskId}/download`} download={result.fileName}>{t('report.downloadFile', { file: result.fileName })}</a></p>
}

/** The report document (DOCX) and the report bundle (ZIP), built as background tasks. */
function ReportTasks({ projectId }: { projectId: string }) {
  const { t } = useI18n()
  useProjectEvents(projectId)
  const [options, setOptions] = useState({ style: 'apa', language: 'en' })
  const [tasks, setTasks] = useState<Array<{ id: string; kind: string }>>([])
  const start = useMutation({
    mutationFn: (kind: 'docx' | 'bundle') => call<Task>('POST', `/api/projects/${projectId}/reports`, { kind, ...options }).then((task) => ({ kind, task })),
    onSuccess: ({ kind, task }) => setTasks((list) => [{ id: task.id, kind }, ...list])
  })
  return (
    <section className="card" aria-labelledby="report-document-title">
      <h3 id="report-document-title">{t('report.document')}</h3>
      <p>{t('report.documentHelp')}</p>
      <label className="inline">{t('report.style')}
        <select value={options.style} onChange={(e) => setOptions({ ...options, style: e.target.value })}>
          {STYLES.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
        </select>
      </label>
      <label className="inline">{t('report.headings')}
        <select value={options.language} onChange={(e) => setOptions({ ...options, language: e.target.value })}>
          <option value="en">English</option>
          <option value="fr">Français</option>
        </select>
      </label>
      <p>
        <button type="button" onClick={() => start.mutate('docx')} disabled={start.isPending}>{t('report.generateDocx')}</button>{' '}
        <button type="button" onClick={() => start.mutate('bundle')} disabled={start.isPending}>{t('report.generateBundle')}</button>
      </p>
      <ErrorMessage error={start.error} />
      {tasks.map((task) => (
        <div key={task.id}>
          <TaskProgress projectId={projectId} taskId={task.id} />
          <ReportDownload projectId={projectId} taskId={task.id} />
        </div>
      ))}
    </section>
  )
}
