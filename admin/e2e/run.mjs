// Drives the staff dashboard in headless Chromium (Debian's, through playwright-core; Playwright cannot
// download its own browsers here) against a running Emporium, as integration/admin_ui_test.go starts
// it. It prints one JSON line of figures and exits non-zero on the first failed check.
//
//   EMPORIUM_URL=http://127.0.0.1:8080 OWNER_EMAIL=… OWNER_PASSWORD=… READER_EMAIL=… READER_PASSWORD=… node run.mjs
//
// With SCREENSHOTS=<directory> it also saves a picture of each screen there.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.EMPORIUM_URL;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const figures = { loadMs: {}, violations: {} };

function check(ok, message) {
  if (!ok) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  // The machine's network is closed: no background connections, no sandbox as root.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

// session opens a page that fails the run on any console error or uncaught exception.
async function session(viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} (${m.location().url})`));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors, close: () => context.close() };
}

// screen opens a screen by its hash, waits for its heading, times it, and runs axe on it.
async function screen(page, name, hash, heading) {
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

async function signIn(page, email, password) {
  const start = Date.now();
  await page.goto(`${base}/admin/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return Date.now() - start;
}

try {
  // The owner, on a laptop: every screen, the product editor, a change saved through the Admin API.
  const owner = await session({ width: 1280, height: 800 });
  const { page } = owner;
  await page.goto(`${base}/admin/`);
  await page.getByRole('heading', { name: 'Sign in to Emporium' }).waitFor();
  await page.evaluate(axeSource); // through the DevTools protocol: the page's policy forbids inline scripts
  const loginViolations = await page.evaluate(async () => (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact })));
  figures.violations.login = loginViolations;
  check(!loginViolations.some((v) => v.impact === 'serious' || v.impact === 'critical'), `login: ${JSON.stringify(loginViolations)}`);

  await page.getByLabel('Email').fill(process.env.OWNER_EMAIL);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();

  figures.loadMs.signIn = await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await screen(page, 'home', '#/', /Welcome/);
  await screen(page, 'products', '#/products', 'Products');
  check(await page.locator('tbody tr').count() === 25, 'the first page does not hold 25 products');
  await page.getByLabel('Search products').fill('organic cotton');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Organic Cotton Tee' }).waitFor();
  await page.getByLabel('Search products').fill('waffle');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: /Waffle/ }).first().waitFor();
  check(await page.getByRole('link', { name: 'Organic Cotton Tee' }).count() === 0, 'the search did not filter');

  await page.getByRole('link', { name: /Waffle/ }).first().click();
  await page.getByRole('heading', { name: 'Edit product' }).waitFor();
  await screen(page, 'product', await page.evaluate(() => location.hash), /Waffle/);
  await page.getByLabel('Title').fill('Long Sleeve Waffle Tee (edited)');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Long Sleeve Waffle Tee (edited)' }).waitFor();

  await screen(page, 'orders', '#/orders', 'Orders');
  await screen(page, 'customers', '#/customers', 'Customers');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Emporium' }).waitFor();
  check(owner.errors.length === 0, `console errors: ${owner.errors.join(' | ')}`);
  await owner.close();

  // A staff member who may only read orders, on a phone: no products, no editor, even by URL.
  const reader = await session({ width: 390, height: 844 });
  await signIn(reader.page, process.env.READER_EMAIL, process.env.READER_PASSWORD);
  const nav = reader.page.getByRole('navigation', { name: 'Main' });
  check(await nav.getByRole('link', { name: 'Orders' }).count() === 1, 'the reader sees no Orders link');
  check(await nav.getByRole('link', { name: 'Products' }).count() === 0, 'the reader sees the Products link');
  await screen(reader.page, 'orders (phone)', '#/orders', 'Orders');
  await reader.page.evaluate(() => { location.hash = '#/products'; });
  await reader.page.getByRole('heading', { name: 'Not available' }).waitFor();
  check(await reader.page.getByRole('heading', { name: 'Edit product' }).count() === 0, 'the reader sees the product editor');
  check(reader.errors.length === 0, `console errors: ${reader.errors.join(' | ')}`);
  await reader.close();
  console.log(JSON.stringify(figures));
} finally {
  await browser.close();
}
