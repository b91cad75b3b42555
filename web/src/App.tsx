import { lazy, Suspense } from 'react'
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { call } from './api/client'
import { ErrorMessage } from './errors'
import { useI18n, type Lang } from './i18n'
import { useMe } from './session'
import { SignIn } from './screens/SignIn'
import { SetPassword } from './screens/SetPassword'
import { Projects } from './screens/Projects'
import { ProjectLayout } from './screens/ProjectLayout'
import { Screening } from './screens/Screening'

// Screens other than screening load on demand, keeping the screening route's JavaScript small.
const Library = lazy(() => import('./screens/Library'))
const ArticleDetail = lazy(() => import('./screens/ArticleDetail'))
const Duplicates = lazy(() => import('./screens/Duplicates'))
const Conflicts = lazy(() => import('./screens/Conflicts'))
const Members = lazy(() => import('./screens/Members'))
const Tasks = lazy(() => import('./screens/Tasks'))
const Search = lazy(() => import('./screens/Search'))
const Prisma = lazy(() => import('./screens/Prisma'))
const Settings = lazy(() => import('./screens/Settings'))
const ProjectSettings = lazy(() => import('./screens/ProjectSettings'))
const FullTexts = lazy(() => import('./screens/FullTexts'))
const RiskOfBias = lazy(() => import('./screens/RiskOfBias'))
const Consensus = lazy(() => import('./screens/Consensus'))
const Synthesis = lazy(() => import('./screens/Synthesis'))
const Report = lazy(() => import('./screens/Report'))
const Chat = lazy(() => import('./screens/Chat'))

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n()
  return (
    <label className="lang">
      {t('lang.label')}{' '}
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="en">English</option>
        <option value="fr">Français</option>
      </select>
    </label>
  )
}

function Header({ signedIn }: { signedIn: boolean }) {
  const { t } = useI18n()
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const signOut = async () => {
    await call('POST', '/api/auth/logout').catch(() => undefined)
    queryClient.clear()
    queryClient.setQueryData(['me'], null)
    navigate('/signin')
  }
  return (
    <header className="top">
      <a className="skip" href="#main">{t('app.skip')}</a>
      <Link to="/" className="brand">{t('app.title')}</Link>
      {signedIn && <nav aria-label="main"><Link to="/">{t('nav.projects')}</Link> <Link to="/settings">{t('nav.settings')}</Link></nav>}
      <span className="spacer" />
      <LanguageSwitch />
      {signedIn && <button type="button" onClick={signOut}>{t('nav.signOut')}</button>}
    </header>
  )
}

export function App() {
  const me = useMe()
  const location = useLocation()
  const { t } = useI18n()
  if (me.isPending) return <p className="loading">{t('common.loading')}</p>
  const signedIn = !!me.data
  const publicPaths = ['/signin', '/set-password']
  if (!signedIn && !publicPaths.includes(location.pathname)) {
    return <Navigate to="/signin" replace state={{ from: location.pathname }} />
  }
  return (
    <>
      <Header signedIn={signedIn} />
      <main id="main" tabIndex={-1}>
        <ErrorMessage error={me.error} />
        <Suspense fallback={<p className="loading">{t('common.loading')}</p>}>
          <Routes>
            <Route path="/signin" element={signedIn ? <Navigate to="/" replace /> : <SignIn />} />
            <Route path="/set-password" element={<SetPassword />} />
            <Route path="/" element={<Projects />} />
            <Route path="/settings" element={<Settings />} />
            <Route path="/projects/:projectId" element={<ProjectLayout />}>
              <Route index element={<Library />} />
              <Route path="articles/:articleId" element={<ArticleDetail />} />
              <Route path="screening" element={<Screening />} />
              <Route path="duplicates" element={<Duplicates />} />
              <Route path="conflicts" element={<Conflicts />} />
              <Route path="members" element={<Members />} />
              <Route path="tasks" element={<Tasks />} />
              <Route path="search" element={<Search />} />
              <Route path="prisma" element={<Prisma />} />
              <Route path="settings" element={<ProjectSettings />} />
              <Route path="fulltext" element={<FullTexts />} />
              <Route path="rob" element={<RiskOfBias />} />
              <Route path="consensus" element={<Consensus />} />
              <Route path="synthesis" element={<Synthesis />} />
              <Route path="report" element={<Report />} />
              <Route path="chat" element={<Chat />} />
            </Route>
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </Suspense>
      </main>
    </>
  )
}
