import { useQueryClient } from '@tanstack/react-query'
import { Link, Outlet } from '@tanstack/react-router'
import { Suspense } from 'react'
import { signOut } from '../api/session.ts'
import { Loading } from '../ui/Loading.tsx'
import { SESSION_KEY, useAdmin } from './session.tsx'
import { useTheme } from './theme.ts'

/** The console's sections, in the order operators reach for them; names are part of the outside contract. */
const SECTIONS = [
  { to: '/', label: 'Overview' },
  { to: '/auth', label: 'Auth' },
  { to: '/data', label: 'Data' },
  { to: '/rules', label: 'Rules' },
  { to: '/storage', label: 'Storage' },
  { to: '/functions', label: 'Functions' },
  { to: '/queues', label: 'Queues' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/events', label: 'Events' },
  { to: '/settings', label: 'Settings' },
] as const

/** Navigation, the signed-in admin, theme and sign-out around the current page. */
export function Shell() {
  const admin = useAdmin()
  const client = useQueryClient()
  const [theme, toggleTheme] = useTheme()

  async function leave() {
    try {
      await signOut()
    } finally {
      // Drop everything the admin loaded, but keep the session query (its observer shows sign-in).
      client.setQueryData(SESSION_KEY, null)
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] })
    }
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Console">
        <div className="brand">Stratus</div>
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.to}>
              <Link
                to={section.to}
                activeOptions={{ exact: section.to === '/' }}
                activeProps={{ className: 'active', 'aria-current': 'page' }}
              >
                {section.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="main-column">
        <header className="topbar">
          <span className="whoami">
            {admin.email} <span className="badge">{admin.role}</span>
          </span>
          <button
            type="button"
            onClick={toggleTheme}
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          >
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
          <button type="button" onClick={() => void leave()}>
            Sign out
          </button>
        </header>
        <main id="content" tabIndex={-1}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  )
}
