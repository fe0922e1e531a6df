import { useQuery, useQueryClient } from '@tanstack/react-query'
import { createContext, type ReactNode, useContext, useEffect } from 'react'
import { onUnauthenticated } from '../api/http.ts'
import { type Admin, currentAdmin } from '../api/session.ts'

export const SESSION_KEY = ['session'] as const

const AdminContext = createContext<Admin | null>(null)

/** The signed-in admin; pages render only inside a session, so this is never null there. */
export function useAdmin(): Admin {
  const admin = useContext(AdminContext)
  if (!admin) throw new Error('useAdmin() outside a signed-in console')
  return admin
}

/** Loads who is signed in, and drops back to sign-in whenever the server answers 401. */
export function SessionGate({ signedOut, children }: { signedOut: ReactNode; children: ReactNode }) {
  const client = useQueryClient()
  const session = useQuery({ queryKey: SESSION_KEY, queryFn: currentAdmin, staleTime: 60_000 })
  useEffect(
    () =>
      onUnauthenticated(() => {
        client.setQueryData(SESSION_KEY, null)
      }),
    [client],
  )
  if (session.isPending) {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    )
  }
  if (!session.data) return <>{signedOut}</>
  return <AdminContext.Provider value={session.data}>{children}</AdminContext.Provider>
}
