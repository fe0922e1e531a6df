export type UploadStatus = 'uploading' | 'done' | 'failed' | 'cancelled'

/** One file on its way to a bucket. */
export interface UploadItem {
  id: string
  key: string
  size: number
  loaded: number
  status: UploadStatus
  error?: string
}

export type UploadAction =
  | { type: 'start'; items: { id: string; key: string; size: number }[] }
  | { type: 'progress'; id: string; loaded: number; total: number }
  | { type: 'done'; id: string }
  | { type: 'failed'; id: string; error: string }
  | { type: 'cancelled'; id: string }
  /** Forgets the finished ones (done, failed, cancelled); uploads in flight stay. */
  | { type: 'clear' }

function update(state: UploadItem[], id: string, change: (item: UploadItem) => UploadItem): UploadItem[] {
  return state.map((item) => (item.id === id ? change(item) : item))
}

/** The upload list's state: progress only grows, and a finished upload stays finished. */
export function uploadsReducer(state: UploadItem[], action: UploadAction): UploadItem[] {
  switch (action.type) {
    case 'start':
      return [...state, ...action.items.map((item) => ({ ...item, loaded: 0, status: 'uploading' as const }))]
    case 'progress':
      return update(state, action.id, (item) =>
        item.status !== 'uploading'
          ? item
          : {
              ...item,
              size: action.total > 0 ? action.total : item.size,
              loaded: Math.max(item.loaded, Math.min(action.loaded, action.total || action.loaded)),
            },
      )
    case 'done':
      return update(state, action.id, (item) => ({ ...item, loaded: item.size, status: 'done' }))
    case 'failed':
      return update(state, action.id, (item) =>
        item.status === 'uploading' ? { ...item, status: 'failed', error: action.error } : item,
      )
    case 'cancelled':
      return update(state, action.id, (item) =>
        item.status === 'uploading' ? { ...item, status: 'cancelled' } : item,
      )
    case 'clear':
      return state.filter((item) => item.status === 'uploading')
  }
}

/** 0-100: an empty file is complete once it is done. */
export function percent(item: Pick<UploadItem, 'loaded' | 'size' | 'status'>): number {
  if (item.status === 'done') return 100
  if (item.size <= 0) return 0
  return Math.min(100, Math.floor((item.loaded / item.size) * 100))
}

/** One line for a live region: "Uploading 2 files: 40%", "3 uploaded, 1 failed". */
export function uploadSummary(items: readonly UploadItem[]): string {
  if (items.length === 0) return ''
  const uploading = items.filter((item) => item.status === 'uploading')
  if (uploading.length > 0) {
    const size = uploading.reduce((sum, item) => sum + item.size, 0)
    const loaded = uploading.reduce((sum, item) => sum + item.loaded, 0)
    const overall = size > 0 ? Math.floor((loaded / size) * 100) : 0
    return `Uploading ${uploading.length} ${uploading.length === 1 ? 'file' : 'files'}: ${overall}%`
  }
  const count = (status: UploadStatus) => items.filter((item) => item.status === status).length
  const parts = [`${count('done')} uploaded`]
  if (count('failed')) parts.push(`${count('failed')} failed`)
  if (count('cancelled')) parts.push(`${count('cancelled')} cancelled`)
  return parts.join(', ')
}
