// jsdom lays nothing out: CodeMirror measures text ranges, which jsdom's Range cannot. Empty answers
// are enough for the editor to run (tests look at the DOM it renders, not at positions on screen).
const range = Range.prototype as Partial<Range>
if (!range.getClientRects) {
  range.getClientRects = () => Object.assign([], { item: () => null }) as unknown as DOMRectList
}
if (!range.getBoundingClientRect) range.getBoundingClientRect = () => new DOMRect()
