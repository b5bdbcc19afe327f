/// <reference lib="dom" />
/**
 * The pages in a real browser: Debian's Chromium driven by playwright-core. The lifecycle page
 * (its views, lanes, latches, reloads, quit), the rules and targets pages, and the expression
 * browser on miniprom scraping itself. Screenshots at 1280×800 go to test/artifacts/. Skips,
 * saying why, only when Chromium is not installed (.ci/run installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../scripts/free-port.mjs';
import { SERIES_COLORS } from '../src/web/ui/query/colors.js';
import {
  http,
  listening,
  removeScratchDirs,
  SELF_CONFIG,
  SERVER_ADD_ORDER,
  type Server,
  scratchDir,
} from './helpers/server.js';
import { killAll, ROOT } from './helpers/spawn.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.log(`page.test.ts: skipped: ${CHROMIUM} is not installed (bash .ci/run installs Debian's chromium)`);

/** A fresh Chromium with an empty profile and the flags this closed network needs; closes with its profile. */
async function openBrowser() {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'miniprom-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A screenshot for people to look at (test/artifacts is kept by CI). */
async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
  await page.screenshot({ path: join(ROOT, `test/artifacts/${name}.png`) });
}

/** Collects every request the page makes to anywhere but `base`. */
function foreignRequests(page: Page, base: string): string[] {
  const foreign: string[] = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  return foreign;
}

describe.skipIf(!haveChromium)('lifecycle page (Chromium)', () => {
  afterEach(() => {
    killAll();
    removeScratchDirs();
  });

  it('draws every actor lane in add order and both latches, and shows a new reload after clicking Reload', async () => {
    const server = await listening({ config: SELF_CONFIG, args: ['--web.enable-lifecycle'] });
    await server.untilLog('Server is ready to receive web requests.');
    const { page, close } = await openBrowser();
    try {
      const foreign = foreignRequests(page, server.base);
      await page.goto(`${server.base}/`);
      await page.waitForSelector('svg#timeline g.latch[data-latch="reloadReady"]');
      const lanes = await page.$$eval('svg#timeline g.lane', (gs) => gs.map((g) => (g as SVGGElement).dataset.actor));
      expect(lanes).toEqual(SERVER_ADD_ORDER);
      const latches = await page.$$eval('svg#timeline g.latch', (gs) =>
        gs.map((g) => (g as SVGGElement).dataset.latch),
      );
      expect(latches).toEqual(['dbOpen', 'reloadReady']);
      // The default view after a fresh start is startup, which holds the initial configuration.
      expect(await page.getAttribute('svg#timeline', 'data-view')).toBe('startup');
      expect(await page.locator('svg#timeline g.reload').count()).toBe(1);

      // A reload happens while running: the page shows that view, with the new marker.
      await page.click('#reload');
      await page.waitForSelector('svg#timeline[data-view="running"] g.reload[data-reload="2"]');
      await page.waitForFunction(() => document.getElementById('result')?.textContent?.startsWith('200'));

      // The chart is redrawn on every lifecycle event, so an element may be replaced under the
      // pointer; send the event the page listens for instead.
      await page.locator('svg#timeline g.lane[data-actor="TSDB"]').dispatchEvent('mouseenter');
      await expect(page.locator('#detail').textContent()).resolves.toContain(
        'only after every writer above it has stopped',
      );
      // …and the lines its loggers wrote, among its events.
      await expect(page.locator('#detail').textContent()).resolves.toMatch(/ms {2}INFO {2}TSDB started/);

      await screenshot(page, 'lifecycle');
      expect(foreign).toEqual([]);
    } finally {
      await close();
    }
  });

  it('shows startup at a scale where every wait is visible: each waiting bar, each start, and where time starts', async () => {
    // Storage takes 50 ms to open, so the actors that wait on dbOpen wait at least that long.
    const server = await listening({ config: SELF_CONFIG, env: { MINIPROM_TEST_STORAGE_OPEN_DELAY: '50ms' } });
    await server.untilLog('Server is ready to receive web requests.');
    const { page, close } = await openBrowser();
    try {
      await page.goto(`${server.base}/`);
      await page.waitForSelector('svg#timeline[data-view="startup"] g.latch[data-latch="reloadReady"]');
      const { events } = JSON.parse((await http(`${server.base}/api/v1/status/lifecycle`)).body).data as {
        events: Array<{ t: number; actor?: string; event: string }>;
      };
      // Every wait, from the API: the actor's 'waiting' event to its next event.
      const waits = events.flatMap((e, i) => {
        if (e.event !== 'waiting') return [];
        const next = events.slice(i + 1).find((n) => n.actor === e.actor);
        return next ? [{ actor: e.actor as string, ms: next.t - e.t }] : [];
      });
      expect(waits.map((w) => w.actor)).toContain('Initial configuration');
      expect(Math.max(...waits.map((w) => w.ms))).toBeGreaterThanOrEqual(50);

      const bars = await page.$$eval('svg#timeline g.lane', (lanes) =>
        lanes.map((lane) => ({
          actor: (lane as SVGGElement).dataset.actor,
          waiting: Array.from(lane.querySelectorAll('rect.seg.waiting')).map(
            (r) => (r as SVGRectElement).getBBox().width,
          ),
          starts: lane.querySelectorAll('line.start').length,
        })),
      );
      // Every actor's start is marked, and every wait has its bar: a 10 ms wait at least 20 px.
      expect(bars.map((b) => b.actor)).toEqual(SERVER_ADD_ORDER);
      for (const bar of bars) expect(bar.starts, bar.actor).toBe(1);
      for (const wait of waits) {
        const widths = bars.find((b) => b.actor === wait.actor)?.waiting ?? [];
        expect(Math.max(0, ...widths), `${wait.actor} waited ${wait.ms} ms`).toBeGreaterThanOrEqual(2 * wait.ms);
      }

      // The axis says where it starts: a band from 0 ms to the first event, Node's own start-up.
      const first = Math.min(...events.map((e) => e.t));
      expect(Number(await page.getAttribute('svg#timeline g.node-start', 'data-until'))).toBeCloseTo(first, 1);
      await expect(page.locator('svg#timeline g.node-start').textContent()).resolves.toContain('Node.js start-up');
      await expect(page.locator('#axis-note').textContent()).resolves.toContain('since the process started (0 ms)');
      await screenshot(page, 'startup');
    } finally {
      await close();
    }
  });

  it('follows a Quit live to the end: Stopping, then stopped, while the server exits 0 by itself', async () => {
    const server = await listening({ config: SELF_CONFIG, args: ['--web.enable-lifecycle'] });
    await server.untilLog('Server is ready to receive web requests.');
    const { page, close } = await openBrowser();
    try {
      await page.goto(`${server.base}/`);
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'Ready');
      await page.click('#quit');
      // The page holds an event stream open: the server must end it, not wait for it.
      expect((await server.exited).code).toBe(0);
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'stopped (server gone)');
      // The last snapshot stays drawn, in the shutdown view: the web handler's lane shows its interrupt.
      expect(await page.getAttribute('svg#timeline', 'data-view')).toBe('shutdown');
      const stopping = await page.$$eval(
        'svg#timeline g.lane[data-actor="Web handler"] rect.seg.interrupted',
        (r) => r.length,
      );
      expect(stopping).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });

  it('shows the rule groups at /rules and the alerts at /alerts as they are evaluated, live', async () => {
    const dir = scratchDir();
    // The bundled rules, on a faster clock: evaluated every second, the alert firing at once.
    const bundled = readFileSync(join(ROOT, 'rules/example.rules.yml'), 'utf8');
    writeFileSync(join(dir, 'example.rules.yml'), bundled.replace('for: 1m', 'for: 0s'));
    const server = await listening({ dir, config: `rule_files: ['example.rules.yml']\n${SELF_CONFIG}` });
    await server.untilLog('Server is ready to receive web requests.');
    const { page, close } = await openBrowser();
    try {
      await page.goto(`${server.base}/rules`);
      await page.waitForSelector('tr.rule');
      expect(await page.$$eval('tr.rule td:first-child', (tds) => tds.map((td) => td.textContent))).toEqual([
        'record: job:up:sum',
        'alert: TargetDown',
      ]);
      // The page refreshes itself: the rules turn healthy once evaluated.
      await page.waitForFunction(
        () =>
          Array.from(document.querySelectorAll('tr.rule')).every((tr) => (tr as HTMLElement).dataset.health === 'ok'),
        undefined,
        { timeout: 15_000 },
      );
      await page.goto(`${server.base}/alerts`);
      await page.waitForSelector('tr.alert');
      expect(await page.textContent('tr.alert')).toContain('severity="warning"');
      // SELF_CONFIG's target 127.0.0.1:1 is down: the alert fires, its annotations rendered.
      await page.waitForSelector('tr.active-alert[data-state="firing"]', { timeout: 15_000 });
      const alert = await page.textContent('tr.active-alert');
      expect(alert).toContain('instance="127.0.0.1:1"');
      expect(alert).toContain('Target 127.0.0.1:1 of job self is down');
      expect(alert).toContain('value 0e+00');
      expect(alert).toMatch(/firing since/);
    } finally {
      await close();
    }
  });

  it('shows the lifecycle buttons disabled, with the reason, without --web.enable-lifecycle', async () => {
    const server = await listening({ config: SELF_CONFIG });
    await server.untilLog('Server is ready to receive web requests.');
    const { page, close } = await openBrowser();
    try {
      await page.goto(`${server.base}/`);
      expect(await page.isDisabled('#reload')).toBe(true);
      expect(await page.isDisabled('#quit')).toBe(true);
      expect(await page.textContent('main')).toContain('--web.enable-lifecycle');
      await page.goto(`${server.base}/targets`);
      await page.waitForSelector('#targets tr');
      expect(await page.textContent('#targets')).toContain('127.0.0.1:1');
    } finally {
      await close();
    }
  });
});

/**
 * miniprom scraping itself every second (it must know its own port before it starts), and a
 * target nothing listens on.
 */
const selfScrape = (port: number) => `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:${port}']
  - job_name: nobody
    static_configs:
      - targets: ['127.0.0.1:1']
`;

const RATE = 'rate(prometheus_http_requests_total[1m])';

/**
 * Resolves once `query` returns series: the self-scrape has run often enough for a rate. A graph's
 * last point can be a step before now, hence the offset the callers add.
 */
async function untilSeries(base: string, query: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const { body } = await http(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
      expect(JSON.parse(body).data.result.length).toBeGreaterThan(0);
    },
    { timeout: 20_000, interval: 200 },
  );
}

/** The pixels of the canvas drawn in one of the series colours (anti-aliasing aside). */
function seriesPixels(page: Page): Promise<number> {
  const colours = SERIES_COLORS.map((hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)));
  return page.$eval(
    '.graph canvas',
    (canvas, rgbs) => {
      const c = canvas as HTMLCanvasElement;
      const { data } = c.getContext('2d')?.getImageData(0, 0, c.width, c.height) ?? { data: [] as number[] };
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];
        if (
          rgbs.some(([cr, cg, cb]) => Math.abs(r - (cr ?? 0)) + Math.abs(g - (cg ?? 0)) + Math.abs(b - (cb ?? 0)) < 24)
        )
          n++;
      }
      return n;
    },
    colours,
  );
}

describe.skipIf(!haveChromium)('expression browser (Chromium)', () => {
  let server: Server;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;
  let foreign: string[];

  beforeAll(async () => {
    const port = await freePort();
    server = await listening({ config: selfScrape(port), args: [`--web.listen-address=127.0.0.1:${port}`] });
    await server.untilLog('Server is ready to receive web requests.');
    // The graphs below query 5 minutes at 1 s steps: their last point is at most 1 s before now.
    await untilSeries(server.base, `${RATE.slice(0, -1)} offset 2s)`);
    browser = await openBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    killAll();
    removeScratchDirs();
  });
  beforeEach(async () => {
    page = await browser.page.context().newPage();
    foreign = foreignRequests(page, server.base);
  });
  afterEach(async () => {
    await page.close();
    // Nothing the page loads, and nothing its editor asks, goes anywhere but this server.
    expect(foreign).toEqual([]);
  });

  /** The panel's editor, focused, with `text` typed into it as a person would. */
  async function type(text: string): Promise<void> {
    await page.click('.panel .cm-content');
    await page.keyboard.type(text);
  }

  it(`graphs ${RATE} of miniprom scraping itself: series drawn on the canvas`, async () => {
    await page.goto(`${server.base}/query`);
    await page.click('.panel button[data-tab="graph"]');
    await page.fill('.panel input.range', '5m');
    await page.press('.panel input.range', 'Enter');
    await type(RATE);
    await page.click('.panel button.execute');
    await page.waitForSelector('.graph canvas');
    expect(Number(await page.getAttribute('.graph', 'data-series'))).toBeGreaterThan(0);
    // The legend names the series; the canvas shows them.
    await expect(page.locator('.graph .u-legend').textContent()).resolves.toContain('handler="/metrics"');
    expect(await seriesPixels(page)).toBeGreaterThan(50);
    // The panel is in the address, in upstream 3.x's form.
    const params = new URL(page.url()).searchParams;
    expect(params.get('g0.expr')).toBe(RATE);
    expect(params.get('g0.tab')).toBe('graph');
    expect(params.get('g0.range_input')).toBe('5m');
    // The screenshot shows the last 10 s (the server has run only a few): − steps 5m → 1m → 10s.
    await page.click('.panel button[title="Decrease range"]');
    await page.click('.panel button[title="Decrease range"]');
    await expect(page.locator('.panel input.range').inputValue()).resolves.toBe('10s');
    await page.waitForFunction(() => document.querySelector('.result-area.loading') === null);
    await page.waitForSelector('.graph canvas');
    await screenshot(page, 'query');
  });

  it('takes a range dragged across the graph as its new range and end time, as upstream’s graph does', async () => {
    await page.goto(`${server.base}/query?g0.expr=${encodeURIComponent(RATE)}&g0.tab=graph&g0.range_input=1m`);
    await page.waitForSelector('.graph canvas');
    const plot = await page.locator('.graph .u-over').boundingBox();
    if (!plot) throw new Error('no plot area');
    // From a quarter to three quarters of the width: about 30 s of the minute.
    const y = plot.y + plot.height / 2;
    await page.mouse.move(plot.x + plot.width / 4, y);
    await page.mouse.down();
    await page.mouse.move(plot.x + (plot.width * 3) / 4, y, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => new URL(location.href).searchParams.has('g0.end_input'));
    const range = new URL(page.url()).searchParams.get('g0.range_input') ?? '';
    expect(range).toMatch(/^(29|30|31)s$/);
    await expect(page.locator('.panel input.range').inputValue()).resolves.toBe(range);
    await expect(page.locator('.panel input.time').inputValue()).resolves.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('shows an instant query’s value in the table, at the evaluation time it is given', async () => {
    await page.goto(`${server.base}/query?g0.expr=${encodeURIComponent('up{job="self"}')}&g0.tab=table`);
    const row = page.locator('table.result tr').first();
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/^up\{instance="127\.0\.0\.1:\d+", job="self"\}1$/);
    // Before the server existed, there was nothing.
    await page.fill('.panel input.time', '2000-01-01 00:00:00');
    await page.press('.panel input.time', 'Enter');
    await expect(page.locator('.panel .notice.info').textContent()).resolves.toContain('Empty query result');
    expect(new URL(page.url()).searchParams.get('g0.end_input')).toBe('2000-01-01 00:00:00');
  });

  it('offers a metric name after its first letters, from this server’s API', async () => {
    await page.goto(`${server.base}/query`);
    await type('prometheus_http_req');
    const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'prometheus_http_requests_total' });
    await option.first().waitFor();
    // Picking it completes the name (and runs nothing).
    await option.first().click();
    await expect(page.locator('.panel .cm-content').textContent()).resolves.toBe('prometheus_http_requests_total');
    await expect(page.locator('.panel .result-area').textContent()).resolves.toBe('No data queried yet');
  });

  it('shows the API’s own error for a malformed query', async () => {
    await page.goto(`${server.base}/query`);
    await type('1 +');
    await page.keyboard.press('Enter');
    const api = JSON.parse((await http(`${server.base}/api/v1/query?query=${encodeURIComponent('1 +')}`)).body);
    expect(api.status).toBe('error');
    const error = page.locator('.panel .notice.error');
    await expect(error.locator('.title').textContent()).resolves.toBe('Error executing query');
    await expect(error.textContent()).resolves.toBe(`Error executing query${api.error}`);
  });

  it('runs on Enter, and takes Shift+Enter as a newline', async () => {
    await page.goto(`${server.base}/query`);
    await type('1 + 1');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('* 3');
    await expect(page.locator('.panel .cm-line').count()).resolves.toBe(2);
    await expect(page.locator('.panel .result-area').textContent()).resolves.toBe('No data queried yet');
    await page.keyboard.press('Enter');
    await expect(page.locator('table.result').textContent()).resolves.toBe('Scalar value4');
  });

  it('restores its panels from a URL, through /graph and the old numeric tabs', async () => {
    const url = `${server.base}/graph?g0.expr=${encodeURIComponent('up{job="self"}')}&g0.tab=1&g1.expr=${encodeURIComponent(RATE)}&g1.tab=0&g1.range_input=5m&g1.stacked=1`;
    await page.goto(url);
    expect(new URL(page.url()).pathname).toBe('/query');
    const panels = page.locator('.panel');
    await expect(panels.count()).resolves.toBe(2);
    await expect(panels.nth(0).locator('.cm-content').textContent()).resolves.toBe('up{job="self"}');
    await expect(panels.nth(0).locator('button[data-tab="table"]').getAttribute('class')).resolves.toBe('on');
    await panels.nth(0).locator('table.result tr').first().waitFor();
    await expect(panels.nth(1).locator('.cm-content').textContent()).resolves.toBe(RATE);
    await expect(panels.nth(1).locator('input.range').inputValue()).resolves.toBe('5m');
    await expect(panels.nth(1).locator('button[data-mode="stacked"]').getAttribute('class')).resolves.toBe('on');
    await panels.nth(1).locator('.graph canvas').waitFor();
    // …and writes them back in the 3.x form.
    await page.waitForFunction(() => new URL(location.href).searchParams.get('g1.display_mode') === 'stacked');
    expect(new URL(page.url()).searchParams.get('g0.tab')).toBe('table');
  });

  it('lists each target under its pool: last scrape, its duration, the series it returned, its error', async () => {
    await page.goto(`${server.base}/targets`);
    const self = page.locator('details.pool[data-pool="self"] tr.target');
    await self.waitFor();
    const cells = await self.locator('td').allTextContents();
    expect(cells[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(cells[2]).toMatch(/ago$/);
    expect(cells[3]).toMatch(/^[\d.]+(ms|s)$/);
    expect(Number(cells[4])).toBeGreaterThan(10);
    expect(cells[5]).toBe('up');
    const down = await page.locator('details.pool[data-pool="nobody"] tr.target td').allTextContents();
    expect(down[5]).toBe('down');
    const api = JSON.parse((await http(`${server.base}/api/v1/targets`)).body).data.activeTargets as Array<{
      scrapePool: string;
      lastError: string;
    }>;
    expect(down[6]).toBe(api.find((t) => t.scrapePool === 'nobody')?.lastError);
    expect(down[6]).toContain('Get "http://127.0.0.1:1/metrics"');
    // A pool folds away.
    await page.click('details.pool[data-pool="nobody"] summary');
    expect(await page.locator('details.pool[data-pool="nobody"] tr.target').isVisible()).toBe(false);
  });
});
