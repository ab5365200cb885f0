// The frame: sign-in (refused, then accepted), every list screen, search, the product editor, and a
// reader whose permissions hide what they may not do.
import { axeSource, base, check, figures, screen, session, signIn } from '../lib.mjs';

// The owner, on a laptop: every screen, the product editor, a change saved through the Admin API.
export async function owner() {
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
  await page.getByLabel('Title', { exact: true }).fill('Long Sleeve Waffle Tee (edited)');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Long Sleeve Waffle Tee (edited)' }).waitFor();

  await screen(page, 'orders', '#/orders', 'Orders');
  await screen(page, 'customers', '#/customers', 'Customers');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Emporium' }).waitFor();
  check(owner.errors.length === 0, `console errors: ${owner.errors.join(' | ')}`);
  await owner.close();
}

// A staff member who may only read orders, on a phone: no products, no editor, even by URL.
export async function reader() {
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
}
