// Products: the owner creates a product in the browser (two options, four variants, prices in two
// currencies, stock, an uploaded picture), sees it through the storefront API, then bulk-edits the
// price and stock of two variants and sees the change on screen and through the API. A phone opens the
// product's page too. createProduct returns the product so that later flows can sell it.
import { base, check, figures, screen, session, signIn } from '../lib.mjs';

// A 1×1 red PNG: the upload goes through the page's file input like a picture from the staff's disk.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

// storefront asks the Storefront API without a token, as a shop's visitor would.
async function storefront(query, variables = {}) {
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  check(res.ok && !body.errors, `storefront query failed (${res.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

const SEEN = `query($h: String!) { product(handle: $h) { title availableForSale
  featuredImage { url altText } images(first: 5) { nodes { url altText } }
  variants(first: 10) { nodes { id sku title quantityAvailable availableForSale price { amount currencyCode } } } } }`;

export async function createProduct() {
  const x = await session({ width: 1280, height: 800 });
  const { page } = x;
  const exact = { exact: true };
  await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Products' }).click();
  await page.getByRole('link', { name: 'New product' }).click();
  await page.getByRole('heading', { level: 1, name: 'New product' }).waitFor();
  await screen(page, 'new product', '#/products/new', 'New product');

  const stamp = Date.now().toString(36).toUpperCase();
  const title = `Trail Cap ${stamp}`;
  await page.getByLabel('Title', exact).fill(title);
  await page.getByLabel('Description', exact).fill('<p>A light cap for <strong>long runs</strong>.</p>');
  await page.getByLabel('Vendor', exact).fill('Trailmark Goods');
  await page.getByLabel('Product type', exact).fill('Caps');
  await page.getByLabel('Tags', exact).fill('outdoor, running');
  await page.getByLabel('Status', exact).selectOption('ACTIVE');
  await page.getByLabel('SEO title', exact).fill(`${title} for runners`);
  await page.getByLabel('SEO description', exact).fill('A light running cap.');
  await page.getByLabel('Option 1 name', exact).fill('Size');
  await page.getByLabel('Option 1 values', exact).fill('S, M');
  await page.getByRole('button', { name: 'Add option' }).click();
  await page.getByLabel('Option 2 name', exact).fill('Colour');
  await page.getByLabel('Option 2 values', exact).fill('Red, Blue');
  await page.getByRole('heading', { name: 'Variants (4)' }).waitFor();

  const variants = ['S / Red', 'S / Blue', 'M / Red', 'M / Blue'];
  const sku = (v) => `CAP-${stamp}-${v.replace(' / ', '-').toUpperCase()}`;
  for (const [i, v] of variants.entries()) {
    await page.getByLabel(`SKU of ${v}`, exact).fill(sku(v));
    await page.getByLabel(`Price (USD) of ${v}`, exact).fill(`${20 + i}.00`);
    await page.getByLabel(`Price (EUR) of ${v}`, exact).fill(`${18 + i}.50`);
    await page.getByLabel(`Stock of ${v}`, exact).fill('5');
  }
  await page.getByLabel('Compare-at price (USD) of S / Red', exact).fill('30.00');

  // A bad price first: the server's userError is shown and nothing is created.
  await page.getByLabel('Price (USD) of M / Blue', exact).fill('twenty');
  await page.getByRole('button', { name: 'Create product' }).click();
  const problem = page.getByRole('alert').filter({ hasText: 'The product was not created' });
  await problem.waitFor();
  check(/variant M \/ Blue › price/.test(await problem.textContent()), `the userError does not name its field: ${await problem.textContent()}`);
  check((await storefront(SEEN, { h: `trail-cap-${stamp.toLowerCase()}` })).product === null, 'a rejected create wrote a product');
  await page.getByLabel('Price (USD) of M / Blue', exact).fill('23.00');
  await page.getByRole('button', { name: 'Create product' }).click();

  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.getByRole('status').filter({ hasText: `Created ${title}.` }).waitFor();
  const hash = await page.evaluate(() => location.hash);
  await screen(page, 'product editor', hash, title);
  const handle = (await page.locator('dl.facts dt:text-is("Handle") + dd').textContent()).trim();
  check(handle === `trail-cap-${stamp.toLowerCase()}`, `handle ${handle}`);

  // The picture: through the file input, a staged upload and productCreateMedia.
  const uploadStart = Date.now();
  await page.getByLabel('Image file', exact).setInputFiles({ name: 'trail-cap.png', mimeType: 'image/png', buffer: png });
  await page.getByLabel('Alt text', exact).fill('A red cap');
  await page.getByRole('button', { name: 'Upload image' }).click();
  await page.getByRole('status').filter({ hasText: 'Uploaded trail-cap.png.' }).waitFor();
  await page.getByRole('img', { name: 'A red cap' }).waitFor();
  // A second picture, deleted again; then the first one's alt text is corrected.
  await page.getByLabel('Image file', exact).setInputFiles({ name: 'spare.png', mimeType: 'image/png', buffer: png });
  await page.getByRole('button', { name: 'Upload image' }).click();
  await page.getByRole('status').filter({ hasText: 'Uploaded spare.png.' }).waitFor();
  await page.getByRole('button', { name: 'Delete image 2' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted image 2.' }).waitFor();
  await page.getByRole('button', { name: /^Delete image 2/ }).waitFor({ state: 'detached' });
  check(await page.getByRole('button', { name: /^Delete image/ }).count() === 1, 'the list does not hold one image');
  await page.getByLabel('Alt text of image 1', exact).fill('A red trail cap');
  await page.getByRole('button', { name: 'Update alt text of image 1' }).click();
  await page.getByRole('status').filter({ hasText: 'Updated the alt text of image 1.' }).waitFor();
  await page.getByRole('img', { name: 'A red trail cap' }).waitFor();
  check(await page.getByRole('img', { name: 'A red trail cap' }).evaluate((img) => img.complete && img.naturalWidth > 0),
    'the uploaded thumbnail does not show');
  figures.loadMs.imageUpload = Date.now() - uploadStart;

  // The storefront sees it: active, its variants, prices in both currencies, stock and the picture.
  const seen = (await storefront(SEEN, { h: handle })).product;
  check(seen && seen.title === title && seen.availableForSale, `storefront product: ${JSON.stringify(seen)}`);
  check(seen.variants.nodes.length === 4, `storefront variants: ${seen.variants.nodes.length}`);
  for (const [i, v] of variants.entries()) {
    const n = seen.variants.nodes.find((s) => s.sku === sku(v));
    check(n && n.title === v && n.price.amount === `${20 + i}.00` && n.price.currencyCode === 'USD' && n.quantityAvailable === 5 && n.availableForSale,
      `storefront variant ${v}: ${JSON.stringify(n)}`);
  }
  check(seen.images.nodes.length === 1 && seen.featuredImage && seen.featuredImage.altText === 'A red trail cap', `storefront image: ${JSON.stringify(seen.featuredImage)}`);
  const picture = await fetch(seen.featuredImage.url);
  check(picture.ok && (await picture.arrayBuffer()).byteLength > 0, `the picture's URL answers ${picture.status}`);
  const eur = (await storefront(`query($h: String!) @inContext(country: DE) { product(handle: $h) {
    variants(first: 10) { nodes { sku price { amount currencyCode } } } } }`, { h: handle })).product;
  for (const [i, v] of variants.entries()) {
    const n = eur.variants.nodes.find((s) => s.sku === sku(v));
    check(n && n.price.amount === `${18 + i}.50` && n.price.currencyCode === 'EUR', `EUR price of ${v}: ${JSON.stringify(n)}`);
  }

  // Bulk edit: two variants, chosen with the keyboard, get a new price in both currencies and a stock.
  await page.getByLabel('Select S / Red', exact).focus();
  await page.keyboard.press('Space');
  await page.getByLabel('Select M / Blue', exact).check();
  await page.getByText('2 of 4 selected.').waitFor();
  await page.getByLabel('New price (USD)', exact).fill('24.00');
  await page.getByLabel('New price (EUR)', exact).fill('22.00');
  await page.getByLabel('New stock', exact).fill('7');
  await page.getByLabel('New stock', exact).press('Enter');
  await page.getByRole('status').filter({ hasText: 'Updated 2 variants.' }).waitFor();
  const rows = page.getByRole('region', { name: 'Variants table' }).locator('tbody tr');
  await rows.filter({ hasText: sku('M / Blue') }).getByText('$24.00').waitFor(); // the page reloads the product
  for (const v of variants) {
    const row = rows.filter({ hasText: sku(v) });
    const edited = v === 'S / Red' || v === 'M / Blue';
    const text = await row.textContent();
    if (edited) {
      check(text.includes('$24.00'), `row ${v} on screen: ${text}`);
      check(text.includes('€22.00') || text.includes('22.00'), `row ${v} on screen: ${text}`);
      check(/\b7$/.test((await row.locator('td').last().textContent()).trim()), `row ${v} stock on screen: ${text}`);
    } else {
      check(!text.includes('24.00') && /\b5$/.test((await row.locator('td').last().textContent()).trim()), `row ${v} changed: ${text}`);
    }
  }
  // A fifth variant, with a new value of the first option.
  await page.getByLabel("New variant's Size", exact).fill('L');
  await page.getByLabel("New variant's Colour", exact).fill('Red');
  await page.getByLabel("New variant's SKU", exact).fill(sku('L / Red'));
  await page.getByLabel("New variant's price (USD)", exact).fill('25.00');
  await page.getByLabel("New variant's price (EUR)", exact).fill('23.50');
  await page.getByLabel("New variant's stock", exact).fill('3');
  await page.getByRole('button', { name: 'Add variant' }).click();
  await page.getByRole('status').filter({ hasText: 'Added L / Red.' }).waitFor();
  await rows.filter({ hasText: sku('L / Red') }).getByText('$25.00').waitFor();

  const after = (await storefront(SEEN, { h: handle })).product;
  const afterEur = (await storefront(`query($h: String!) @inContext(country: DE) { product(handle: $h) {
    variants(first: 10) { nodes { sku price { amount } } } } }`, { h: handle })).product;
  for (const [i, v] of variants.entries()) {
    const n = after.variants.nodes.find((s) => s.sku === sku(v));
    const e = afterEur.variants.nodes.find((s) => s.sku === sku(v));
    const edited = v === 'S / Red' || v === 'M / Blue';
    const want = edited ? ['24.00', '22.00', 7] : [`${20 + i}.00`, `${18 + i}.50`, 5];
    check(n.price.amount === want[0] && e.price.amount === want[1] && n.quantityAvailable === want[2],
      `after the bulk edit, ${v}: ${JSON.stringify(n)} ${JSON.stringify(e)}, want ${want}`);
  }
  const large = after.variants.nodes.find((s) => s.sku === sku('L / Red'));
  const largeEur = afterEur.variants.nodes.find((s) => s.sku === sku('L / Red'));
  check(after.variants.nodes.length === 5 && large && large.title === 'L / Red' && large.price.amount === '25.00' &&
    largeEur.price.amount === '23.50' && large.quantityAvailable === 3, `the added variant: ${JSON.stringify(large)} ${JSON.stringify(largeEur)}`);
  // The added variant goes again, after a confirmation.
  await page.getByLabel('Select L / Red', exact).check();
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted 1 variant.' }).waitFor();
  await rows.filter({ hasText: sku('L / Red') }).waitFor({ state: 'detached' });
  const final = (await storefront(SEEN, { h: handle })).product;
  check(final.variants.nodes.length === 4 && !final.variants.nodes.some((n) => n.sku === sku('L / Red')),
    `variants after the delete: ${JSON.stringify(final.variants.nodes)}`);
  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();

  // On a phone: the product's page fits the screen's width (wide tables scroll inside their region).
  const phone = await session({ width: 390, height: 844 });
  await signIn(phone.page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await phone.page.getByRole('heading', { level: 1 }).waitFor(); // home's own loading is not the product's
  await phone.page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  await screen(phone.page, 'product editor (phone)', hash, title);
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the product page is ${overflow}px wider than the phone`);
  await screen(phone.page, 'new product (phone)', '#/products/new', 'New product');
  const formOverflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(formOverflow <= 0, `the new product form is ${formOverflow}px wider than the phone`);
  check(phone.errors.length === 0, `console errors: ${phone.errors.join(' | ')}`);
  await phone.close();

  return { handle, title, variants: final.variants.nodes.map((n) => ({ sku: n.sku, id: n.id })) };
}

// A second, simple product joins a collection and is archived after a confirmation reached by keyboard:
// the storefront then lists it in the collection, and then no longer shows it at all.
export async function archiveProduct() {
  const x = await session({ width: 1280, height: 800 });
  const { page } = x;
  const exact = { exact: true };
  await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await page.evaluate(() => { location.hash = '#/products/new'; });
  const stamp = Date.now().toString(36);
  const title = `Archive Drill ${stamp}`;
  await page.getByLabel('Title', exact).fill(title);
  await page.getByLabel('Status', exact).selectOption('ACTIVE');
  await page.getByRole('button', { name: 'Remove option 1' }).click();
  await page.getByRole('heading', { name: 'Variants (1)' }).waitFor();
  await page.getByLabel('Price (USD) of Default', exact).fill('5.00');
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  const handle = `archive-drill-${stamp}`;

  const box = page.getByRole('group', { name: 'In these collections' }).getByRole('checkbox').first();
  await box.waitFor();
  const collection = (await box.locator('xpath=..').textContent()).trim();
  await box.check();
  await page.getByRole('button', { name: 'Update collections' }).click();
  await page.getByRole('status').filter({ hasText: 'Collections updated.' }).waitFor();
  const listed = (await storefront(`query($h: String!) { product(handle: $h) { collections(first: 20) { nodes { title } } } }`, { h: handle })).product;
  check(listed && listed.collections.nodes.some((c) => c.title === collection), `collections on the storefront: ${JSON.stringify(listed)}, want ${collection}`);

  await page.getByRole('button', { name: 'Archive product' }).click();
  await page.getByText(`Archive ${title}?`).waitFor();
  check(await page.evaluate(() => document.activeElement.textContent) === 'Yes, archive', 'the confirmation does not take the focus');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Archived' }).waitFor();
  await page.locator('dl.facts .badge', { hasText: 'ARCHIVED' }).waitFor();
  check((await storefront(SEEN, { h: handle })).product === null, 'the storefront still shows an archived product');
  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();
}
