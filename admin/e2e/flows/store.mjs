// Home, inventory, collections, pages and menus: an order placed through the storefront API shows on
// Home with the API's figures, a stock adjustment shows in the history, a new collection with a product
// and a new published page are seen by the storefront API, and Home works on a phone.
import { base, check, figures, screen, session, signIn } from '../lib.mjs';

// api runs one GraphQL operation against the server, as the storefront (no token) or as staff.
async function api(query, variables = {}, token = null) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const SKU = 'EMP-TEE-ORG-M-NVY';

// placeOrder buys two tees as a guest with the test gateway's card, as integration/orders_test.go does.
async function placeOrder() {
  const p = await api('{ product(handle: "organic-cotton-tee") { variants(first: 50) { nodes { id sku } } } }');
  const variant = p.product.variants.nodes.find((v) => v.sku === SKU).id;
  const c = await api(`mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 2}], buyerIdentity: {email: "buyer@example.com"},
    delivery: {addresses: [{selected: true, address: {deliveryAddress: {address1: "1 Main St", city: "Columbus", provinceCode: "OH", countryCode: US, zip: "43004"}}}]}}) {
    cart { id deliveryGroups(first: 1) { nodes { id } } } userErrors { message } } }`, { v: variant });
  const cart = c.cartCreate.cart;
  const d = await api(`mutation($id: ID!, $g: ID!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: "standard"}]) {
    cart { cost { totalAmount { amount currencyCode } } } userErrors { message } } }`, { id: cart.id, g: cart.deliveryGroups.nodes[0].id });
  const total = d.cartSelectedDeliveryOptionsUpdate.cart.cost.totalAmount;
  await api(`mutation($id: ID!, $a: Decimal!, $c: CurrencyCode!) { cartPaymentUpdate(cartId: $id, payment: {amount: {amount: $a, currencyCode: $c},
    directPaymentMethod: {sessionId: "4242424242424242", billingAddress: {city: "Columbus", country: "US"}}}) { userErrors { message } } }`,
  { id: cart.id, a: total.amount, c: total.currencyCode });
  const s = await api(`mutation($id: ID!) { cartSubmitForCompletion(cartId: $id, attemptToken: "store-flow") {
    result { __typename ... on SubmitSuccess { attemptId } ... on SubmitAlreadyAccepted { attemptId } } } }`, { id: cart.id });
  const attempt = s.cartSubmitForCompletion.result.attemptId;
  check(attempt, `the order was not accepted: ${JSON.stringify(s)}`);
  for (let i = 0; i < 50; i++) {
    const a = await api(`query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId } } }`, { a: attempt });
    if (a.cartCompletionAttempt.orderId) return { variant, orderId: a.cartCompletionAttempt.orderId };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the order was not placed in 5 s');
}

async function staffToken() {
  const d = await api(`mutation($i: StaffAccessTokenCreateInput!) { staffAccessTokenCreate(input: $i) { staffAccessToken { accessToken } } }`,
    { i: { email: process.env.OWNER_EMAIL, password: process.env.OWNER_PASSWORD } });
  return d.staffAccessTokenCreate.staffAccessToken.accessToken;
}

// homeFigures reads a figure block of Home ('Today' or 'Last 30 days') as shown.
async function homeFigures(page, title) {
  const block = page.getByRole('region', { name: title, exact: true });
  return {
    sales: (await block.locator('[data-figure="sales"]').innerText()).trim(),
    orders: (await block.locator('[data-figure="orders"]').innerText()).trim(),
    aov: (await block.locator('[data-figure="aov"]').innerText()).trim(),
  };
}

// shown formats MoneyV2 amounts as the page does (Intl, the browser's locale), one per line.
const shown = (page, amounts) => page.evaluate((ms) => ms.map((m) => new Intl.NumberFormat(undefined,
  { style: 'currency', currency: m.currencyCode }).format(m.amount)).join('\n'), amounts);

export async function owner() {
  const { variant } = await placeOrder();
  const token = await staffToken();
  const x = await session({ width: 1280, height: 800 });
  const { page } = x;
  await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);

  // Home: the figures on screen are the API's.
  await screen(page, 'home (figures)', '#/', /Welcome/);
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const day = 24 * 3600 * 1000;
  const sum = (await api(`query($f: DateTime!, $t: DateTime!) { salesSummary(from: $f, to: $t) {
    totals { orderCount grossSales { amount currencyCode } averageOrderValue { amount currencyCode } }
    buckets { totals { orderCount grossSales { amount currencyCode } averageOrderValue { amount currencyCode } } } } }`,
  { f: new Date(today - 29 * day).toISOString(), t: new Date(today + day).toISOString() }, token)).salesSummary;
  check(sum.totals.length > 0 && sum.totals[0].orderCount >= 1, `the placed order is not in salesSummary: ${JSON.stringify(sum)}`);
  for (const [title, totals] of [['Last 30 days', sum.totals], ['Today', sum.buckets[sum.buckets.length - 1].totals]]) {
    const got = await homeFigures(page, title);
    const want = {
      sales: await shown(page, totals.map((t) => t.grossSales)),
      orders: String(totals.reduce((n, t) => n + t.orderCount, 0)),
      aov: await shown(page, totals.map((t) => t.averageOrderValue)),
    };
    check(JSON.stringify(got) === JSON.stringify(want), `Home ${title}: shows ${JSON.stringify(got)}, the API says ${JSON.stringify(want)}`);
  }
  check(await page.getByRole('img', { name: /Sales per day/ }).count() === 1, 'no sales chart');
  check(await page.getByRole('link', { name: 'Organic Cotton Tee' }).count() >= 1, 'the tee is not among the top products');

  // Inventory: find the variant by SKU, remove two damaged units, see the level and the history.
  await screen(page, 'inventory', '#/inventory', 'Inventory');
  await page.getByLabel('Search by SKU or product title').fill(SKU.toLowerCase());
  await page.getByRole('button', { name: 'Search' }).click();
  // Every row left is the variant's, one per location.
  await page.waitForFunction((sku) => {
    const skus = [...document.querySelectorAll('tbody tr td:nth-child(2)')].map((td) => td.textContent);
    return skus.length > 0 && skus.every((s) => s === sku);
  }, SKU, { timeout: 5000 });
  await page.getByRole('link', { name: /Organic Cotton Tee/ }).first().click();
  await page.getByRole('heading', { name: 'Adjust stock' }).waitFor();
  await screen(page, 'inventory variant', `#/inventory/${encodeURIComponent(variant)}`, /Organic Cotton Tee/);
  const levelsOf = async () => (await api(`query($v: ID) { inventoryLevels(first: 10, variantId: $v) { nodes { available location { id name } } } }`,
    { v: variant }, token)).inventoryLevels.nodes;
  const before = (await levelsOf())[0];
  await page.getByLabel('Location', { exact: true }).selectOption(before.location.id);
  await page.getByLabel('Change', { exact: true }).selectOption('adjust');
  await page.getByLabel('Quantity', { exact: true }).fill('-2');
  await page.getByLabel('Reason', { exact: true }).fill('Damaged in the store');
  await page.getByRole('button', { name: 'Save stock' }).click();
  await page.getByRole('status').filter({ hasText: 'Stock saved.' }).waitFor();
  const history = page.getByRole('region', { name: 'History' });
  await history.getByRole('row').filter({ hasText: 'Damaged in the store' }).filter({ hasText: '-2' }).first().waitFor();
  const after = (await levelsOf()).find((l) => l.location.id === before.location.id);
  check(after.available === before.available - 2, `stock at ${before.location.name}: ${after.available}, want ${before.available - 2}`);
  await page.getByRole('region', { name: 'Stock by location' }).getByRole('row')
    .filter({ hasText: before.location.name }).filter({ hasText: String(after.available) }).waitFor();
  // A low stock alert above the new level puts the variant on Home's low stock list through the API.
  await page.getByLabel('Alert location').selectOption(before.location.id);
  await page.getByLabel('Alert at or below (empty: never)').fill(String(after.available));
  await page.getByRole('button', { name: 'Save alert' }).click();
  await page.getByRole('status').filter({ hasText: 'Low stock alert saved.' }).waitFor();
  const low = (await api('{ inventoryLowStock(first: 100) { variant { id } available } }', {}, token)).inventoryLowStock;
  check(low.some((l) => l.variant.id === variant && l.available === after.available), `not low by its own alert: ${JSON.stringify(low)}`);

  // A collection with a product, seen by the storefront.
  await screen(page, 'collections', '#/collections', 'Collections');
  await page.getByRole('link', { name: 'New collection' }).click();
  await page.getByRole('heading', { level: 1, name: 'New collection' }).waitFor();
  await page.getByLabel('Title', { exact: true }).fill('Store flow picks');
  await page.getByLabel('Description (HTML)').fill('<p>Picked by the store flow.</p>');
  await page.getByRole('button', { name: 'Save collection' }).click();
  await page.getByRole('heading', { level: 1, name: 'Store flow picks' }).waitFor();
  await page.getByLabel('Find a product to add').fill('organic cotton');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: 'Add Organic Cotton Tee' }).click();
  await page.getByRole('button', { name: 'Remove Organic Cotton Tee' }).waitFor();
  await screen(page, 'collection', await page.evaluate(() => location.hash), 'Store flow picks');
  const collectionId = decodeURIComponent((await page.evaluate(() => location.hash)).split('/')[2]);
  const col = (await api(`query($id: ID!) { collection(id: $id) { title descriptionHtml products(first: 5) { nodes { handle } } } }`, { id: collectionId })).collection;
  check(col && col.title === 'Store flow picks' && col.products.nodes.some((p) => p.handle === 'organic-cotton-tee'),
    `the storefront sees the collection as ${JSON.stringify(col)}`);

  // A published page, seen by the storefront by its handle.
  await screen(page, 'pages', '#/pages', 'Pages');
  await page.getByRole('link', { name: 'New page' }).click();
  await page.getByRole('heading', { level: 1, name: 'New page' }).waitFor();
  await page.getByLabel('Title', { exact: true }).fill('Store flow policy');
  await page.getByLabel('Handle', { exact: true }).fill('store-flow-policy');
  await page.getByLabel('Body (HTML)').fill('<p>Returns within 30 days.</p>');
  await page.getByLabel('Published (shown on the storefront)').check();
  await page.getByRole('button', { name: 'Save page' }).click();
  await page.getByRole('heading', { level: 1, name: 'Store flow policy' }).waitFor();
  await screen(page, 'page', await page.evaluate(() => location.hash), 'Store flow policy');
  const pg = (await api('{ page(handle: "store-flow-policy") { title body } }')).page;
  check(pg && pg.body.includes('Returns within 30 days.'), `the storefront sees the page as ${JSON.stringify(pg)}`);

  // A menu linking the page.
  await screen(page, 'menus', '#/menus', 'Menus');
  await page.getByRole('link', { name: 'New menu' }).click();
  await page.getByLabel('Title', { exact: true }).fill('Store flow footer');
  await page.getByLabel('Handle', { exact: true }).fill('store-flow-footer');
  await page.getByRole('button', { name: 'Add item' }).click();
  await page.getByLabel('Item 1 title').fill('Search');
  await page.getByLabel('Item 1 links to').selectOption('SEARCH');
  await page.getByRole('button', { name: 'Add item' }).click();
  await page.getByLabel('Item 2 title').fill('Returns');
  await page.getByLabel('Item 2 links to').selectOption('PAGE');
  await page.getByLabel('Item 2 page', { exact: true }).selectOption({ label: 'Store flow policy' });
  await page.getByRole('button', { name: 'Save menu' }).click();
  await page.getByRole('heading', { level: 1, name: 'Store flow footer' }).waitFor({ timeout: 5000 }).catch(async (e) => {
    throw new Error(`${e.message}\n${await page.locator('main').innerText()}`);
  });
  await screen(page, 'menu', await page.evaluate(() => location.hash), 'Store flow footer');
  const menu = (await api('{ menu(handle: "store-flow-footer") { items { title type resource { ... on Page { handle } } } } }')).menu;
  check(menu && menu.items.length === 2 && menu.items[0].type === 'SEARCH' && menu.items[1].resource.handle === 'store-flow-policy',
    `the storefront sees the menu as ${JSON.stringify(menu)}`);

  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();
}

// Home on a phone, for the owner (figures, charts and lists fit and pass axe) and for an orders reader.
export async function phone() {
  const x = await session({ width: 390, height: 844 });
  await signIn(x.page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await screen(x.page, 'home (phone)', '#/', /Welcome/);
  const overflow = await x.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `Home is ${overflow}px wider than the phone`);
  await screen(x.page, 'inventory (phone)', '#/inventory', 'Inventory');
  figures.storePhoneOverflow = overflow;
  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();

  // A member who may read orders but not inventory sees the sales, not the stock.
  const r = await session({ width: 390, height: 844 });
  await signIn(r.page, process.env.READER_EMAIL, process.env.READER_PASSWORD);
  await screen(r.page, 'home (orders reader, phone)', '#/', /Welcome/);
  await r.page.getByRole('region', { name: 'Last 30 days', exact: true }).waitFor();
  check(await r.page.getByRole('heading', { name: /Low stock/ }).count() === 0, 'the orders reader sees low stock');
  check(r.errors.length === 0, `console errors: ${r.errors.join(' | ')}`);
  await r.close();
}
