/** The Auth page's place, kept in its URL: the tab and the user filters. */
export interface AuthSearch {
  tab?: 'users' | 'providers' | 'settings'
  /** Part of an email address. */
  email?: string
  anonymous?: 'yes' | 'no'
  disabled?: 'yes' | 'no'
}

const yesNo = (value: unknown) => (value === 'yes' || value === 'no' ? value : undefined)

export function authSearch(search: Record<string, unknown>): AuthSearch {
  const result: AuthSearch = {}
  if (search.tab === 'users' || search.tab === 'providers' || search.tab === 'settings')
    result.tab = search.tab
  if (typeof search.email === 'string' && search.email.trim() !== '') result.email = search.email
  const anonymous = yesNo(search.anonymous)
  if (anonymous) result.anonymous = anonymous
  const disabled = yesNo(search.disabled)
  if (disabled) result.disabled = disabled
  return result
}
