export const SETTINGS_TABS = ['admins', 'security', 'keys', 'api-keys', 'audit', 'deployments'] as const
export type SettingsTab = (typeof SETTINGS_TABS)[number]

/** The Settings page's place, kept in its URL: the tab. */
export interface SettingsSearch {
  tab?: SettingsTab
}

export function settingsSearch(search: Record<string, unknown>): SettingsSearch {
  const tab = SETTINGS_TABS.find((name) => name === search.tab)
  return tab ? { tab } : {}
}
