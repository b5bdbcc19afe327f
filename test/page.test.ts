/// <reference lib="dom" />
/**
 * The lifecycle page in a real browser: Debian's Chromium driven by playwright-core. Skips, saying
 * why, only when Chromium is not installed (.ci/run installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listening, removeScratchDirs, SELF_CONFIG, SERVER_ADD_ORDER, scratchDir } from './helpers/server.js';
import { killAll, ROOT } from './helpers/spawn.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.log(`page.test.ts: skipped: ${CHROMIUM} is not installed (bash .ci/run installs Debian's chromium)`);

afterEach(() => {
  killAll();
  removeScratchDirs();
});

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

describe.skipIf(!haveChromium)('lifecycle page (Chromium)', () => {
  it('draws every actor lane in add order and both latches, and shows a new reload after clicking Reload', async () => {
    const server = await listening({ config: SELF_CONFIG, args: ['--web.enable-lifecycle'] });
    await server.untilLog('Server is ready to receive web requests.');
    const { page, close } = await openBrowser();
    try {
      const foreign: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(server.base)) foreign.push(req.url());
      });
      await page.goto(`${server.base}/`);
      await page.waitForSelector('svg#timeline g.latch[data-latch="reloadReady"]');
      const lanes = await page.$$eval('svg#timeline g.lane', (gs) => gs.map((g) => (g as SVGGElement).dataset.actor));
      expect(lanes).toEqual(SERVER_ADD_ORDER);
      const latches = await page.$$eval('svg#timeline g.latch', (gs) =>
        gs.map((g) => (g as SVGGElement).dataset.latch),
      );
      expect(latches).toEqual(['dbOpen', 'reloadReady']);
      const reloadsBefore = await page.locator('svg#timeline g.reload').count();
      expect(reloadsBefore).toBe(1); // the initial configuration

      await page.click('#reload');
      await page.waitForFunction((n) => document.querySelectorAll('svg#timeline g.reload').length > n, reloadsBefore);
      await expect(page.locator('#result').textContent()).resolves.toContain('200');

      // The chart is redrawn on every lifecycle event (and on hover itself), so an element may be
      // replaced under the pointer; send the event the page listens for instead.
      await page.locator('svg#timeline g.lane[data-actor="TSDB"]').dispatchEvent('mouseenter');
      await expect(page.locator('#detail').textContent()).resolves.toContain(
        'only after every writer above it has stopped',
      );
      // …and the lines its loggers wrote, among its events.
      await expect(page.locator('#detail').textContent()).resolves.toMatch(/ms {2}INFO {2}TSDB started/);

      mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test/artifacts/lifecycle.png') });
      expect(foreign).toEqual([]);
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
      // The last snapshot stays drawn: the web handler's lane shows its interrupt.
      const stopping = await page.$$eval(
        'svg#timeline g.lane[data-actor="Web handler"] rect.seg.stopping',
        (r) => r.length,
      );
      expect(stopping).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });

  it('shows the rule groups at /rules and the alerts at /alerts as they are evaluated', async () => {
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
      // Refreshed live: the rules turn healthy once evaluated.
      await page.waitForFunction(
        () => Array.from(document.querySelectorAll('tr.rule td.health')).every((td) => td.textContent === 'ok'),
        undefined,
        { timeout: 15_000 },
      );
      await page.goto(`${server.base}/alerts`);
      await page.waitForSelector('tr.alert');
      expect(await page.textContent('tr.alert')).toContain('severity="warning"');
      // SELF_CONFIG's target 127.0.0.1:1 is down: the alert fires, its annotations rendered.
      await page.waitForSelector('tr.instance', { timeout: 15_000 });
      const instance = await page.textContent('tr.instance');
      expect(instance).toContain('firing');
      expect(instance).toContain('Target 127.0.0.1:1 of job self is down');
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
