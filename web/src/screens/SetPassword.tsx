import { useState, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../api/client'
import type { User } from '../api/types'
import { ErrorMessage } from '../errors'
import { useI18n } from '../i18n'

/** The page of an invitation or reset link: `/set-password#token=…` (the token stays out of server logs). */
export function SetPassword() {
  const { t } = useI18n()
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? ''
  const check = useQuery({
    queryKey: ['password-link', token],
    enabled: token !== '',
    retry: false,
    queryFn: async () => {
      const response = await fetch('/api/auth/password-links/check', { headers: { 'x-password-token': token } })
      if (!response.ok) throw new Error(t('setPassword.invalid'))
      return await response.json() as { email: string; expiresAt: string }
    }
  })
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [error, setError] = useState<unknown>(null)
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (password.length < 10) return setError(new Error(t('setPassword.tooShort')))
    if (password !== confirm) return setError(new Error(t('setPassword.mismatch')))
    try {
      const { user } = await call<{ user: User }>('POST', '/api/auth/password', { token, password })
      history.replaceState(null, '', '/set-password')
      queryClient.setQueryData(['me'], user)
      navigate('/', { replace: true })
    } catch (err) {
      setError(err)
    }
  }
  if (!token || check.isError) return <p className="error card narrow" role="alert">{t('setPassword.invalid')}</p>
  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="setpw-title">
      <h1 id="setpw-title">{t('setPassword.title')}</h1>
      {check.data && <p>{t('setPassword.for', { email: check.data.email })}</p>}
      <label>{t('setPassword.password')}<input type="password" autoComplete="new-password" minLength={10} maxLength={1024} required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      <label>{t('setPassword.confirm')}<input type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} /></label>
      <ErrorMessage error={error} />
      <button type="submit" className="primary">{t('setPassword.submit')}</button>
    </form>
  )
}
