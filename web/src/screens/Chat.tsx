import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ok } from '../api/client'
import type { paths } from '../api/schema'
import { useDraft } from '../drafts'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { canReview, useProject, useProjectId } from '../project'

type Message = paths['/api/projects/{projectId}/chat/conversations/{conversationId}/messages']['get']['responses'][200]['content']['application/json']['messages'][number]

/** Chat over the full texts: conversations, questions, answers with the passages they cite. */
export default function Chat() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  const queryClient = useQueryClient()
  const [selected, setSelected] = useState<string | null>(null)
  const [question, setQuestion] = useDraft(`chat-question-${projectId}`, '')
  const path = { projectId }
  const listKey = ['project', projectId, 'chat', 'conversations']
  const conversations = useQuery({ queryKey: listKey, queryFn: async () => ok(await api.GET('/api/projects/{projectId}/chat/conversations', { params: { path } })) })
  const index = useQuery({ queryKey: ['project', projectId, 'chat', 'index'], queryFn: async () => ok(await api.GET('/api/projects/{projectId}/fulltext/index', { params: { path } })) })
  const current = selected ?? conversations.data?.[0]?.id ?? null
  const messages = useQuery({
    queryKey: ['project', projectId, 'chat', current],
    enabled: current !== null,
    queryFn: async () => ok(await api.GET('/api/projects/{projectId}/chat/conversations/{conversationId}/messages', { params: { path: { projectId, conversationId: current! } } }))
  })
  const create = useMutation({
    mutationFn: async () => ok(await api.POST('/api/projects/{projectId}/chat/conversations', { params: { path }, body: {} })),
    onSuccess: (c) => { setSelected(c.id); void queryClient.invalidateQueries({ queryKey: listKey }) }
  })
  const remove = useMutation({
    mutationFn: async (conversationId: string) => ok(await api.DELETE('/api/projects/{projectId}/chat/conversations/{conversationId}', { params: { path: { projectId, conversationId } } })),
    onSuccess: () => { setSelected(null); void queryClient.invalidateQueries({ queryKey: listKey }) }
  })
  const reindex = useMutation({
    mutationFn: async () => ok(await api.POST('/api/projects/{projectId}/fulltext/index', { params: { path }, body: {} })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'chat', 'index'] })
  })
  const ask = useMutation({
    mutationFn: async (input: { conversationId: string | null; content: string }) => {
      const conversationId = input.conversationId ?? ok(await api.POST('/api/projects/{projectId}/chat/conversations', { params: { path }, body: {} })).id
      const exchange = ok(await api.POST('/api/projects/{projectId}/chat/conversations/{conversationId}/messages', { params: { path: { projectId, conversationId } }, body: { content: input.content } }))
      return { conversationId, exchange }
    },
    onSuccess: ({ conversationId }) => {
      setSelected(conversationId)
      setQuestion('')
      void queryClient.invalidateQueries({ queryKey: listKey })
      void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'chat', conversationId] })
    }
  })
  const reviewer = canReview(project.data?.role)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (question.trim()) ask.mutate({ conversationId: current, content: question.trim() })
  }
  return (
    <section aria-labelledby="chat-title" className="chat">
      <h2 id="chat-title">{t('chat.title')}</h2>
      {index.data && (
        <p className="muted">
          {t('chat.indexStatus', { indexed: index.data.indexed, files: index.data.files, chunks: index.data.chunks, embedded: index.data.embeddedChunks })}
          {' '}{index.data.embeddingModel ? t('chat.hybrid', { model: index.data.embeddingModel }) : t('chat.lexical')}
          {reviewer && index.data.pending > 0 && <> <button type="button" onClick={() => reindex.mutate()} disabled={reindex.isPending}>{t('chat.index', { pending: index.data.pending })}</button></>}
        </p>
      )}
      <ErrorMessage error={conversations.error ?? index.error ?? reindex.error} />
      <div className="chat-layout">
        <nav aria-label={t('chat.conversations')} className="card">
          <h3>{t('chat.conversations')}</h3>
          {reviewer && <button type="button" onClick={() => create.mutate()} disabled={create.isPending}>{t('chat.new')}</button>}
          {conversations.data?.length === 0 && <p className="muted">{t('chat.none')}</p>}
          <ul>
            {conversations.data?.map((c) => (
              <li key={c.id}>
                <button type="button" className={c.id === current ? 'link current' : 'link'} aria-current={c.id === current} onClick={() => setSelected(c.id)}>{c.title}</button>
                {' '}<span className="muted">({c.messageCount})</span>
              </li>
            ))}
          </ul>
        </nav>
        <div className="card chat-thread">
          {messages.data && (
            <p>
              <strong>{messages.data.conversation.title}</strong>{' '}
              {reviewer && <button type="button" onClick={() => { if (confirm(t('chat.deleteConfirm'))) remove.mutate(messages.data.conversation.id) }}>{t('chat.delete')}</button>}
            </p>
          )}
          <ErrorMessage error={messages.error ?? remove.error} />
          <ol className="chat-messages" aria-live="polite">
            {messages.data?.messages.map((m) => <MessageView key={m.id} message={m} projectId={projectId} />)}
          </ol>
          {reviewer && (
            <form onSubmit={submit}>
              <label htmlFor="chat-question">{t('chat.question')}</label>
              <textarea id="chat-question" rows={3} value={question} onChange={(e) => setQuestion(e.target.value)} maxLength={4000} />
              <button type="submit" disabled={ask.isPending || !question.trim()}>{ask.isPending ? t('chat.thinking') : t('chat.ask')}</button>
            </form>
          )}
          <ErrorMessage error={ask.error} />
        </div>
      </div>
    </section>
  )
}

function MessageView({ message, projectId }: { message: Message; projectId: string }) {
  const { t } = useI18n()
  return (
    <li className={`chat-message ${message.role}`}>
      <p className="muted">{message.role === 'user' ? t('chat.you') : t('chat.assistant')}</p>
      <p className="chat-content">{message.content}</p>
      {message.citations.length > 0 && (
        <details open>
          <summary>{t('chat.cited', { n: message.citations.length })}</summary>
          <ul className="chat-citations">
            {message.citations.map((c) => (
              <li key={c.chunkId}>
                <span className="muted">[{c.chunkId}]</span>{' '}
                <Link to={`/projects/${projectId}/articles/${c.articleId}`}>{c.title}</Link>{', '}
                <a href={`/api/projects/${projectId}/articles/${c.articleId}/fulltext#page=${c.page}`} target="_blank" rel="noreferrer">{t('chat.page', { page: c.page })}</a>
                <blockquote>{c.quote}</blockquote>
              </li>
            ))}
          </ul>
        </details>
      )}
      {message.invalidCitations.length > 0 && <p className="error" role="note">{t('chat.invalid', { ids: message.invalidCitations.join(', ') })}</p>}
    </li>
  )
}
