import { Link, useParams } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { call } from '../api/client'
import { authorsText, type Article } from '../api/types'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'
import { useProjectId } from '../project'

const SKIP = new Set(['title', 'abstract', 'authors', 'original'])

export default function ArticleDetail() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const articleId = useParams().articleId!
  const article = useQuery({
    queryKey: ['project', projectId, 'article', articleId],
    queryFn: () => call<Article>('GET', `/api/projects/${projectId}/articles/${articleId}`)
  })
  const a = article.data
  return (
    <article className="card" aria-labelledby="article-title">
      <p><Link to={`/projects/${projectId}`}>{t('article.back')}</Link></p>
      <ErrorMessage error={article.error} />
      {a && (
        <>
          <h2 id="article-title">{a.title || '—'}</h2>
          <p><strong>{t('article.authors')}:</strong> {authorsText(a.authors)}</p>
          <h3>{t('article.abstract')}</h3>
          <p className="abstract">{a.abstract}</p>
          <h3>{t('article.fields')}</h3>
          <dl className="fields">
            {Object.entries(a).filter(([k, v]) => !SKIP.has(k) && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)).map(([k, v]) => (
              <div key={k}><dt>{k}</dt><dd>{Array.isArray(v) ? v.join('; ') : typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></div>
            ))}
          </dl>
          <h3>{t('article.original')}</h3>
          <pre className="original" tabIndex={0}>{typeof a.original === 'string' ? a.original : JSON.stringify(a.original, null, 2)}</pre>
        </>
      )}
    </article>
  )
}
