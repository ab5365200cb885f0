// The browser and the checks every flow shares: one Chromium for the run, pages that fail on console
// errors, screens timed and checked by axe-core, and the figures the run prints.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
export const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const base = process.env.EMPORIUM_URL;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const figures = { loadMs: {}, violations: {} };

export function check(ok, message) {
  if (!ok) throw new Error(message);
}

export const browser = await chromium.launch({
  executablePath: chromiumPath,
  // The machine's network is closed: no background connections, no sandbox as root.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

// session opens a page that fails the run on any console error or uncaught exception.
export async function session(viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} (${m.location().url})`));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors, close: () => context.close() };
}

// screen opens a screen by its hash, waits for its heading, times it, and runs axe on it.
export async function screen(page, name, hash, heading) {
  const start = Date.now();
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  figures.loadMs[name] = Date.now() - start;
  await page.evaluate(axeSource); // through the DevTools protocol: the page's policy forbids inline scripts
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  figures.violations[name] = result;
  if (process.env.SCREENSHOTS) {
    // README's pictures: SCREENSHOTS=../../docs/screenshots, as README says.
    await page.screenshot({ path: `${process.env.SCREENSHOTS}/${name.replace(/[^a-z]+/g, '-').replace(/-$/, '')}.png` });
  }
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(serious.length === 0, `${name}: serious accessibility violations ${JSON.stringify(serious)}`);
}

export async function signIn(page, email, password) {
  const start = Date.now();
  await page.goto(`${base}/admin/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return Date.now() - start;
}
