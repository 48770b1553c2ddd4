/** The one DOM helper the panels share (sidebar, run detail, compare). */

/** A `<tag>` with `className` and, when given, `text` as its text: names and notes from the store never become
 * HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
