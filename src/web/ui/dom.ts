/**
 * Building the pages' DOM: elements with their attributes, listeners and children, text always as
 * text nodes (`textContent`), so nothing a server or a user wrote is ever parsed as HTML.
 */

/** A child: an element, a text (set as text, never as markup), or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** What `el()` sets on a new element. */
export interface ElementOptions {
  className?: string;
  id?: string;
  title?: string;
  /** Attributes by name; `false` and undefined leave one out, `true` sets it empty. */
  attrs?: Record<string, string | number | boolean | undefined>;
  /** `data-*` attributes, by their dataset name. */
  data?: Record<string, string>;
  /** Listeners by event name. */
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

/** Appends `children` to `parent`, strings and numbers as text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** A new HTML element. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.id) node.id = options.id;
  if (options.title) node.title = options.title;
  setAttributes(node, options.attrs);
  for (const [key, value] of Object.entries(options.data ?? {})) node.dataset[key] = value;
  for (const [type, listener] of Object.entries(options.on ?? {})) {
    node.addEventListener(type, listener as EventListener);
  }
  append(node, ...children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A new SVG element with its attributes (numbers written as they are). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | undefined> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attrs);
  append(node, ...children);
  return node;
}

function setAttributes(node: Element, attrs: Record<string, string | number | boolean | undefined> | undefined) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Replaces everything inside `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** The element with this id; a page whose skeleton lacks it is a bug, so it throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`no element #${id}`);
  return node as T;
}
