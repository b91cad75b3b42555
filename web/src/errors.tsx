import { ApiError } from './api/client'
import { useI18n, type MessageKey } from './i18n'

/** A human message for any error: the service's own words, with what to do for each status. */
export function useErrorText(): (error: unknown) => string {
  const { t } = useI18n()
  return (error) => {
    if (error instanceof ApiError) {
      if (error.status === 400 && error.field) return t('error.field', { field: error.field, message: error.message })
      const key = `error.${error.status}` as MessageKey
      if (['error.401', 'error.403', 'error.404', 'error.409', 'error.413', 'error.422', 'error.429', 'error.503'].includes(key)) return t(key, { message: error.message })
      return t('error.other', { message: error.message })
    }
    if (error instanceof TypeError) return t('error.network')
    return t('error.other', { message: error instanceof Error ? error.message : String(error) })
  }
}

/** An error shown to the user (role=alert, so screen readers announce it). */
export function ErrorMessage({ error }: { error: unknown }) {
  const text = useErrorText()
  if (!error) return null
  return <p className="error" role="alert">{text(error)}</p>
}
