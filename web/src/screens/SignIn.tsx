import { useState, type FormEvent } from 'react'
import { useNavigate, useLocation } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { call } from '../api/client'
import type { User } from '../api/types'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'

export function SignIn() {
  const { t } = useI18n()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const from = (useLocation().state as { from?: string } | null)?.from ?? '/'
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const { user } = await call<{ user: User }>('POST', '/api/auth/login', { email, password })
      queryClient.setQueryData(['me'], user)
      navigate(from, { replace: true })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="signin-title">
      <h1 id="signin-title">{t('signIn.title')}</h1>
      <label>{t('signIn.email')}<input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <label>{t('signIn.password')}<input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      <ErrorMessage error={error} />
      <button type="submit" className="primary" disabled={busy}>{t('signIn.submit')}</button>
    </form>
  )
}
