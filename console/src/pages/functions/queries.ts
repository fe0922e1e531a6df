import { useQuery } from '@tanstack/react-query'
import {
  functionActivity,
  getFunction,
  listEventTypes,
  listFunctions,
  listSchedules,
} from '../../api/functions.ts'

/** Query keys: everything about functions sits under `functions`, so one invalidation refreshes it all. */
export const keys = {
  all: ['functions'] as const,
  list: () => ['functions', 'list'] as const,
  detail: (name: string) => ['functions', 'detail', name] as const,
  versions: (name: string) => ['functions', 'versions', name] as const,
  version: (name: string, version: number, compareTo?: number) =>
    ['functions', 'version', name, version, compareTo ?? null] as const,
  executions: (name: string, filter: object) => ['functions', 'executions', name, filter] as const,
  execution: (id: string) => ['functions', 'execution', id] as const,
  activity: () => ['functions', 'activity'] as const,
  schedules: () => ['functions', 'schedules'] as const,
  eventTypes: () => ['event-types'] as const,
}

export function useFunctionList() {
  return useQuery({ queryKey: keys.list(), queryFn: ({ signal }) => listFunctions(signal) })
}

export function useFunctionDetail(name: string) {
  return useQuery({ queryKey: keys.detail(name), queryFn: ({ signal }) => getFunction(name, signal) })
}

/** Calls and failures per function over the last hour, refreshed with the server's per-minute rollups. */
export function useActivity() {
  return useQuery({
    queryKey: keys.activity(),
    queryFn: ({ signal }) => functionActivity(signal),
    refetchInterval: 30_000,
  })
}

export function useSchedules(refetchInterval: number | false = false) {
  return useQuery({
    queryKey: keys.schedules(),
    queryFn: ({ signal }) => listSchedules(signal),
    refetchInterval,
  })
}

/** The event catalog changes only with the server's version. */
export function useEventTypes() {
  return useQuery({
    queryKey: keys.eventTypes(),
    queryFn: ({ signal }) => listEventTypes(signal),
    staleTime: Number.POSITIVE_INFINITY,
  })
}
