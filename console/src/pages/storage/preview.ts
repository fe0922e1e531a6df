/** How the console previews an object, from its type, key and size. */
export type PreviewKind = 'image' | 'json' | 'text' | 'none'

/** Larger text is not worth a preview (download it); images can be larger. */
export const TEXT_PREVIEW_LIMIT = 2 * 1024 * 1024
export const IMAGE_PREVIEW_LIMIT = 20 * 1024 * 1024

const TEXT_TYPES =
  /^(text\/|application\/(xml|javascript|x-javascript|ecmascript|x-sh|x-yaml|yaml|toml|csv|sql|graphql)\b)/
const TEXT_EXTENSIONS = /\.(txt|md|csv|log|ya?ml|toml|xml|html?|css|m?js|ts|tsx|sql|ini|conf|env)$/i

export function previewKind(object: { key: string; contentType: string; size: number }): PreviewKind {
  const type = (object.contentType.split(';')[0] ?? '').trim().toLowerCase()
  if (type.startsWith('image/')) {
    return object.size <= IMAGE_PREVIEW_LIMIT ? 'image' : 'none'
  }
  if (object.size > TEXT_PREVIEW_LIMIT) return 'none'
  if (type === 'application/json' || type.endsWith('+json') || /\.json$/i.test(object.key)) return 'json'
  if (TEXT_TYPES.test(type) || TEXT_EXTENSIONS.test(object.key)) return 'text'
  return 'none'
}

/** JSON pretty-printed, or the text as it is (with a note) when it does not parse. */
export function prettyJson(text: string): { text: string; valid: boolean } {
  try {
    return { text: JSON.stringify(JSON.parse(text), null, 2), valid: true }
  } catch {
    return { text, valid: false }
  }
}
