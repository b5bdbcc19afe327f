/**
 * `/query`: the expression browser. Panels of PromQL, each with a table (instant query) and a
 * graph (range query); the panels live in the URL in upstream 3.x's form, so a link restores them.
 */
import { el, replaceChildren } from './dom.js';
import { mountPage } from './layout.js';
import { QueryPanel } from './query/panel.js';
import './query/query.css';
import { decodePanels, encodePanels, newPanel, type Panel } from './query/state.js';

const page = mountPage('/query', 'Query');
const list = el('div', { id: 'panels' });
const panels: QueryPanel[] = [];

/** Writes every panel's settings into the address, replacing the current history entry. */
function saveToURL(): void {
  const query = encodePanels(panels.map((p) => p.state)).toString();
  history.replaceState(null, '', `${location.pathname}?${query}`);
}

function addPanel(state: Panel): QueryPanel {
  const panel: QueryPanel = new QueryPanel(state, {
    changed: saveToURL,
    remove: () => {
      panels.splice(panels.indexOf(panel), 1);
      panel.element.remove();
      saveToURL();
    },
  });
  panels.push(panel);
  list.append(panel.element);
  return panel;
}

replaceChildren(
  page.main,
  list,
  el(
    'div',
    { className: 'bar' },
    el('button', { id: 'add-panel', on: { click: () => addPanel(newPanel()).focus() } }, 'Add query'),
  ),
);
// Panels from the address run at once, as upstream's do; they are all added first, so each
// writes the whole set back into the address.
const initial = decodePanels(location.search);
for (const state of initial.length > 0 ? initial : [newPanel()]) addPanel(state);
for (const panel of panels) if (panel.state.expr !== '') panel.execute();
panels[0]?.focus();
window.addEventListener('resize', () => {
  for (const panel of panels) panel.resize();
});
