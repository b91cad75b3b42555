import { useEffect, useState } from 'react'
import { toApiError } from './api/client'
import { ErrorMessage } from './errors'

/**
 * An image the API draws (diagram, plots, charts), fetched again whenever
 * `version` changes (the data behind it changed) and shown from a blob URL:
 * the routes refuse unknown query parameters, so a cache-busting `?v=` is
 * not an option. API errors show as messages instead of a broken image.
 */
export function ApiImage({ src, alt, version, className }: { src: string; alt: string; version: number; className?: string }) {
  const [url, setUrl] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    let objectUrl: string | null = null
    let cancelled = false
    fetch(src, { credentials: 'same-origin' }).then(async (response) => {
      if (!response.ok) throw toApiError(response.status, await response.json().catch(() => null))
      const blob = await response.blob()
      if (cancelled) return
      objectUrl = URL.createObjectURL(blob)
      setUrl(objectUrl)
      setError(null)
    }).catch((e: unknown) => { if (!cancelled) setError(e) })
    return () => { cancelled = true; if (objectUrl) URL.revokeObjectURL(objectUrl) }
  }, [src, version])
  if (error) return <ErrorMessage error={error} />
  return url ? <img className={className} src={url} alt={alt} /> : null
}
