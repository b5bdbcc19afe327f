/** /config: the running configuration as YAML (secrets masked), from GET /api/v1/status/config. */
import { apiGet, errorText } from './api.js';
import { el, replaceChildren } from './dom.js';
import { alertBox, mountPage } from './layout.js';

async function show(main: HTMLElement): Promise<void> {
  const yaml = el('pre', { className: 'block', id: 'yaml' }, 'Loading…');
  replaceChildren(main, el('h1', {}, 'Configuration'), yaml);
  try {
    const { data } = await apiGet<{ yaml: string }>('/status/config');
    yaml.textContent = data.yaml;
  } catch (err) {
    replaceChildren(main, el('h1', {}, 'Configuration'), alertBox('error', 'Error fetching config', errorText(err)));
  }
}

void show(mountPage('/config', 'Config').main);
