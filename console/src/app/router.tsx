import { createRootRoute, createRoute, createRouter, Link, lazyRouteComponent } from '@tanstack/react-router'
import { authSearch } from '../pages/auth/search.ts'
import { collectionSearch } from '../pages/data/search.ts'
import { functionSearch } from '../pages/functions/search.ts'
import { simulatorSearch } from '../pages/rules/search.ts'
import { settingsSearch } from '../pages/settings/search.ts'
import { bucketSearch, storageSearch } from '../pages/storage/search.ts'
import { Shell } from './Shell.tsx'

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no console page here. <Link to="/">Back to the overview</Link>
      </p>
    </section>
  )
}

const root = createRootRoute({ component: Shell, notFoundComponent: NotFound })

// Every page is its own chunk, loaded when first visited: the entry holds only the shell.
const page = <const P extends string>(
  path: P,
  load: Parameters<typeof lazyRouteComponent>[0],
  name: string,
) => createRoute({ getParentRoute: () => root, path, component: lazyRouteComponent(load, name) })

// A page whose place (tab, filters, folder) lives in its search parameters, checked by `validateSearch`.
const searchPage = <const P extends string, S>(
  path: P,
  load: Parameters<typeof lazyRouteComponent>[0],
  name: string,
  validateSearch: (search: Record<string, unknown>) => S,
) =>
  createRoute({
    getParentRoute: () => root,
    path,
    validateSearch,
    component: lazyRouteComponent(load, name),
  })

// Pages whose state lives in search parameters (a link reproduces the view).
const collectionRoute = createRoute({
  getParentRoute: () => root,
  path: '/data/$collection',
  validateSearch: collectionSearch,
  component: lazyRouteComponent(() => import('../pages/data/CollectionPage.tsx'), 'CollectionPage'),
})
const rulesRoute = createRoute({
  getParentRoute: () => root,
  path: '/rules',
  validateSearch: simulatorSearch,
  component: lazyRouteComponent(() => import('../pages/rules/RulesPage.tsx'), 'RulesPage'),
})
const functionRoute = createRoute({
  getParentRoute: () => root,
  path: '/functions/$name',
  validateSearch: functionSearch,
  component: lazyRouteComponent(
    () => import('../pages/functions/FunctionEditorPage.tsx'),
    'FunctionEditorPage',
  ),
})

const routeTree = root.addChildren([
  page('/', () => import('../pages/overview/OverviewPage.tsx'), 'OverviewPage'),
  searchPage('/auth', () => import('../pages/auth/AuthPage.tsx'), 'AuthPage', authSearch),
  page('/auth/users/$id', () => import('../pages/auth/UserPage.tsx'), 'UserPage'),
  page('/data', () => import('../pages/data/DataPage.tsx'), 'DataPage'),
  collectionRoute,
  rulesRoute,
  searchPage('/storage', () => import('../pages/storage/StoragePage.tsx'), 'StoragePage', storageSearch),
  searchPage('/storage/$bucket', () => import('../pages/storage/BucketPage.tsx'), 'BucketPage', bucketSearch),
  page('/functions', () => import('../pages/functions/FunctionsPage.tsx'), 'FunctionsPage'),
  page('/functions/new', () => import('../pages/functions/FunctionEditorPage.tsx'), 'NewFunctionPage'),
  functionRoute,
  page('/queues', () => import('../pages/queues/QueuesPage.tsx'), 'QueuesPage'),
  page('/schedules', () => import('../pages/schedules/SchedulesPage.tsx'), 'SchedulesPage'),
  page('/events', () => import('../pages/events/EventsPage.tsx'), 'EventsPage'),
  page('/events/traces/$traceId', () => import('../pages/events/TracePage.tsx'), 'TracePage'),
  searchPage('/settings', () => import('../pages/settings/SettingsPage.tsx'), 'SettingsPage', settingsSearch),
])

export const router = createRouter({
  routeTree,
  basepath: '/console',
  defaultPreload: 'intent',
  defaultNotFoundComponent: NotFound,
})

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router
  }
}
