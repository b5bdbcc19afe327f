/**
 * The frame every page shares: the header with its navigation, and the page's `<main>`. The
 * server's HTML shell (src/web/pages.ts) carries only the page's settings as `data-*` attributes
 * on `<body>`; everything visible is built here and by the page's own module.
 */
import './style.css';
import { el, replaceChildren } from './dom.js';
import { pathPrefix } from './prefix.js';

/** What a page learns from its shell. */
export interface PageContext {
  main: HTMLElement;
  /** Started with --web.enable-lifecycle: reload and quit may be used. */
  lifecycleEnabled: boolean;
  /** Agent mode: no query engine, no rules. */
  agent: boolean;
}

const LINKS: ReadonlyArray<{ href: string; text: string; serverOnly?: boolean }> = [
  { href: '/', text: 'Lifecycle' },
  { href: '/query', text: 'Query', serverOnly: true },
  { href: '/targets', text: 'Targets' },
  { href: '/rules', text: 'Rules', serverOnly: true },
  { href: '/alerts', text: 'Alerts', serverOnly: true },
  { href: '/config', text: 'Config' },
];

/** Builds the header and an empty `<main>` for the page at `here`, titled `title`. */
export function mountPage(here: string, title: string): PageContext {
  const { dataset } = document.body;
  const agent = dataset.mode === 'agent';
  // Links point under this server's path prefix, wherever it is served.
  const prefix = pathPrefix();
  document.title = `${title} · miniprom`;
  const header = el(
    'header',
    {},
    el('span', { className: 'brand' }, agent ? 'miniprom agent' : 'miniprom'),
    ...LINKS.filter((link) => !(agent && link.serverOnly)).map((link) =>
      el('a', { attrs: { href: `${prefix}${link.href}` }, className: link.href === here ? 'here' : '' }, link.text),
    ),
  );
  const main = el('main');
  replaceChildren(document.body, header, main);
  return { main, lifecycleEnabled: dataset.lifecycle === 'enabled', agent };
}

/** A notice box: an API error, a warning, an info. */
export function alertBox(kind: 'error' | 'warning' | 'info', title: string, text: string): HTMLElement {
  return el(
    'div',
    { className: `notice ${kind}`, attrs: { role: 'alert' } },
    el('span', { className: 'title' }, title),
    text,
  );
}
