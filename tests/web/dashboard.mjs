// dashboard.mjs URL SCREENSHOT - load the tcpinspect dashboard in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core), wait for
// live updates, and report what the charts show at two moments 4 s apart
// as one JSON object on stdout. Saves a screenshot. Exit 1 on a page error.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, shot] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'ti-chromium-'));
const errors = [];
let ctx;
try {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1100 },
    timeout: 60000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  // Anything not from the daemon would be fetched from the internet.
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(new URL(url).origin)) foreign.push(r.url()); });
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  // Polled from here: waitForFunction evaluates a string in the page,
  // which the dashboard's Content-Security-Policy (rightly) forbids.
  for (let i = 0; ; i++) {
    const n = await page.evaluate(() => (window.tiDashboard ? window.tiDashboard.updates : 0));
    if (n >= 3) break;
    if (i >= 300) throw new Error(`the dashboard made ${n} updates in 30 s`);
    await page.waitForTimeout(100);
  }
  const snap = () => page.evaluate(() => {
    const c = (id) => { const e = document.getElementById(id); return { points: +e.dataset.points, sum: +e.dataset.sum, last: +e.dataset.last, max: +e.dataset.max }; };
    const nonblank = (id) => { // the canvas has drawn pixels
      const e = document.getElementById(id);
      const d = e.getContext('2d').getImageData(0, 0, e.width, e.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
      return n;
    };
    return {
      updates: window.tiDashboard.updates, errors: window.tiDashboard.errors,
      status: document.getElementById('status').textContent,
      syns: c('c-syns'), conns: c('c-conns'), retx: c('c-retx'), rtt: c('c-rtt'),
      pixels: nonblank('c-syns'),
      kpiSyns: document.getElementById('k-syns').textContent,
      topSources: [...document.querySelectorAll('#top-sources .row .name')].map((e) => e.textContent),
      topPorts: [...document.querySelectorAll('#top-ports .row .name')].map((e) => e.textContent),
      connRows: +document.getElementById('conns').dataset.rows,
      alertRows: +document.getElementById('alerts').dataset.rows,
      blocklist: document.getElementById('blocklist').textContent,
    };
  });
  const first = await snap();
  await page.waitForTimeout(4000);
  const second = await snap();
  await page.screenshot({ path: shot, fullPage: true });
  process.stdout.write(JSON.stringify({ first, second, errors, foreign }) + '\n');
} catch (e) {
  process.stderr.write(`dashboard check failed: ${e.stack || e}\n`);
  process.exitCode = 1;
} finally {
  if (ctx) await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
