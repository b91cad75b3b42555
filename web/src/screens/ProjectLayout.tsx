import { NavLink, Outlet } from 'react-router'
import { ErrorMessage } from '../errors'
import { useI18n, type MessageKey } from '../i18n'
import { useProject, useProjectId } from '../project'

const TABS: Array<[string, MessageKey]> = [
  ['', 'project.library'], ['search', 'project.search'], ['screening', 'project.screening'], ['duplicates', 'project.duplicates'],
  ['conflicts', 'project.conflicts'], ['prisma', 'project.prisma'], ['tasks', 'project.tasks'], ['members', 'project.members'], ['settings', 'project.settings'],
  ['fulltext', 'project.fullTexts'], ['rob', 'project.rob'], ['consensus', 'project.consensus'],
  ['synthesis', 'project.synthesis'], ['report', 'project.report'], ['chat', 'project.chat']
]

export function ProjectLayout() {
  const { t } = useI18n()
  const projectId = useProjectId()
  const project = useProject(projectId)
  return (
    <>
      <h1 className="project-name">{project.data?.name ?? '…'}</h1>
      <ErrorMessage error={project.error} />
      <nav aria-label={project.data?.name ?? 'project'} className="tabs">
        {TABS.map(([path, key]) => <NavLink key={path} end to={`/projects/${projectId}${path ? `/${path}` : ''}`}>{t(key)}</NavLink>)}
      </nav>
      <Outlet />
    </>
  )
}
