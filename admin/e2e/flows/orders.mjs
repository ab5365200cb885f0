// The order flow, from the order on: a buyer signs up and orders through the Storefront API
// (from node, as a shop's front end would), then the owner finds the order by filter, fulfils part of
// it with tracking, refunds one unit with restock, and sees on screen the fulfilment, the refund, the
// timeline and the stock come back; a reader who may only read orders sees the order but no action.
import { base, check, figures, screen, session, signIn } from '../lib.mjs';

const CARD_SUCCESS = '4242424242424242'; // the test gateway's card that pays (payments.CardSuccess)

// The order the owner's flow placed, for the reader's flow.
let placed = null;

// storefront runs one Storefront API operation as a buyer (or a signed-in customer) and returns its data.
async function storefront(query, variables = {}, token = null) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  check(res.ok && !body.errors, `storefront: ${res.status} ${JSON.stringify(body.errors)}\n${query}`);
  return body.data;
}

// noUserErrors fails the run on a payload's business errors, whatever their list is called.
function noUserErrors(payload, what) {
  const errs = [...(payload.userErrors || []), ...(payload.customerUserErrors || [])];
  check(errs.length === 0, `${what}: ${JSON.stringify(errs)}`);
  return payload;
}

// variantsOf reads a product's variants that track stock and have some, with their stock now.
async function variantsOf(handle) {
  const d = await storefront(`query($h: String!) { product(handle: $h) { title
    variants(first: 50) { nodes { id title sku quantityAvailable } } } }`, { h: handle });
  check(d.product, `no product ${handle} on the storefront`);
  return { title: d.product.title, variants: d.product.variants.nodes.filter((v) => v.quantityAvailable !== null) };
}

async function stockOf(handle, variantId) {
  const { variants } = await variantsOf(handle);
  return variants.find((v) => v.id === variantId).quantityAvailable;
}

// placeOrder signs a buyer up, saves their address and checks out units of one variant (and one of a
// second, when the product has it and more is asked) with the test gateway's paying card.
async function placeOrder(handle, variantId, units = 3, second = true) {
  const { title, variants } = await variantsOf(handle);
  const main = variantId ? variants.find((v) => v.id === variantId) : variants.find((v) => v.quantityAvailable >= units);
  check(main && main.quantityAvailable >= units, `${handle}: no tracked variant with ${units} units in stock`);
  const other = second && variants.find((v) => v.id !== main.id && v.quantityAvailable >= 1);
  const email = `buyer-${Date.now()}@example.com`;
  const password = 'flow-password-123';

  noUserErrors((await storefront(`mutation($i: CustomerCreateInput!) { customerCreate(input: $i) { customer { id } customerUserErrors { message } } }`,
    { i: { email, password, firstName: 'Flo', lastName: 'Buyer' } })).customerCreate, 'customerCreate');
  const login = noUserErrors((await storefront(`mutation($i: CustomerAccessTokenCreateInput!) { customerAccessTokenCreate(input: $i) {
    customerAccessToken { accessToken } customerUserErrors { message } } }`, { i: { email, password } })).customerAccessTokenCreate, 'login');
  const token = login.customerAccessToken.accessToken;
  noUserErrors((await storefront(`mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { customerAddress { id } customerUserErrors { message } } }`,
    { a: { firstName: 'Flo', lastName: 'Buyer', address1: '1 Main St', city: 'Columbus', province: 'OH', country: 'US', zip: '43004' } }, token)).customerAddressCreate, 'address');

  const lines = [{ merchandiseId: main.id, quantity: units }];
  if (other) lines.push({ merchandiseId: other.id, quantity: 1 });
  const cart = noUserErrors((await storefront(`mutation($i: CartInput!) { cartCreate(input: $i) {
    cart { id deliveryGroups(first: 1) { nodes { id } } } userErrors { field message } } }`, { i: {
    lines, buyerIdentity: { email, customerAccessToken: token },
    delivery: { addresses: [{ selected: true, address: { deliveryAddress: { firstName: 'Flo', lastName: 'Buyer', address1: '1 Main St',
      city: 'Columbus', provinceCode: 'OH', countryCode: 'US', zip: '43004' } } }] },
  } })).cartCreate, 'cartCreate').cart;
  const sel = noUserErrors((await storefront(`mutation($id: ID!, $g: ID!) { cartSelectedDeliveryOptionsUpdate(cartId: $id,
    selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: "standard"}]) {
    cart { cost { totalAmount { amount currencyCode } } } userErrors { message } } }`,
  { id: cart.id, g: cart.deliveryGroups.nodes[0].id })).cartSelectedDeliveryOptionsUpdate, 'delivery');
  const total = sel.cart.cost.totalAmount;
  noUserErrors((await storefront(`mutation($id: ID!, $p: CartPaymentInput!) { cartPaymentUpdate(cartId: $id, payment: $p) { userErrors { message } } }`,
    { id: cart.id, p: { amount: total, directPaymentMethod: { sessionId: CARD_SUCCESS, billingAddress: { city: 'Columbus', country: 'US' } } } }))
    .cartPaymentUpdate, 'payment');
  const submit = noUserErrors((await storefront(`mutation($id: ID!, $t: String!) { cartSubmitForCompletion(cartId: $id, attemptToken: $t) {
    result { __typename ... on SubmitSuccess { attemptId } ... on SubmitAlreadyAccepted { attemptId } ... on SubmitFailed { errors { code message } } }
    userErrors { message } } }`, { id: cart.id, t: `flow-${email}` })).cartSubmitForCompletion, 'submit');
  check(submit.result.attemptId, `submit: ${JSON.stringify(submit.result)}`);
  let orderId = null;
  for (let i = 0; i < 50 && !orderId; i++) {
    const a = (await storefront(`query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename
      ... on CartCompletionSuccess { orderId } ... on CartCompletionFailed { errors { code message } } } }`, { a: submit.result.attemptId })).cartCompletionAttempt;
    check(a.__typename !== 'CartCompletionFailed', `checkout failed: ${JSON.stringify(a)}`);
    if (a.orderId) orderId = a.orderId;
    else await new Promise((r) => setTimeout(r, 100));
  }
  check(orderId, 'the checkout did not complete');
  const name = (v) => `${title} — ${v.title}`;
  return { orderId, email, main: { ...main, name: name(main) }, other: other && { ...other, name: name(other) } };
}

// onScreen adds what the page shows to a failure, so that a run's log explains it.
async function onScreen({ page, errors }, run) {
  page.setDefaultTimeout(10_000);
  try {
    await run();
  } catch (err) {
    const text = await page.locator('main').innerText().catch(() => '(no page)');
    const where = await page.evaluate(() => location.hash).catch(() => '');
    throw new Error(`${err.stack}\nOn screen (${where}):\n${text.slice(0, 2000)}\nPage errors: ${errors.join(' | ')}`);
  }
}

// owner is the flow: product defaults to a demo product that tracks stock; the lead's flow may pass the
// product it created in the browser ({ handle, variantId }).
export async function owner({ handle = 'organic-cotton-tee', variantId } = {}) {
  const start = Date.now();
  const order = await placeOrder(handle, variantId);
  figures.storefrontOrderMs = Date.now() - start;
  const stockAfterOrder = order.main.quantityAvailable - 3;
  check(await stockOf(handle, order.main.id) === stockAfterOrder, 'the order did not take its units from stock');

  const x = await session({ width: 1280, height: 800 });
  const { page } = x;
  await onScreen(x, () => manage(page, handle, order, stockAfterOrder));
  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();
}

async function manage(page, handle, order, stockAfterOrder) {
  await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);

  // Find it by filter: this buyer's open, paid, unshipped orders placed today.
  await screen(page, 'orders filter', '#/orders', 'Orders');
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel('Customer email').fill(order.email);
  await page.getByLabel('Placed from (UTC)').fill(today);
  await page.getByLabel('Placed to (UTC)').fill(today);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByLabel('Status').selectOption('open');
  await page.getByLabel('Payment').selectOption('PAID');
  await page.getByLabel('Fulfilment').selectOption('UNFULFILLED');
  const table = page.getByRole('region', { name: 'Orders table' });
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1 && !document.querySelector('[aria-busy="true"]'));
  check(await table.locator('tbody tr').filter({ hasText: order.email }).count() === 1, 'the filters do not find the order alone');
  await page.getByLabel('Fulfilment').selectOption('FULFILLED');
  await page.getByText('No order matches.').waitFor();
  await page.getByLabel('Fulfilment').selectOption('');

  // The row's link is the order's address: following it is timed as a screen load.
  const link = table.getByRole('link').first();
  const orderName = await link.textContent();
  const orderHash = `#/orders/${encodeURIComponent(order.orderId)}`;
  check(await link.getAttribute('href') === orderHash, `the row links to ${await link.getAttribute('href')}, want ${orderHash}`);
  await screen(page, 'order', orderHash, `Order ${orderName}`);
  const badges = page.locator('.badges');
  await badges.getByText('Paid', { exact: true }).waitFor();
  if (await page.getByRole('button', { name: 'Mark as paid' }).count()) {
    await page.getByRole('button', { name: 'Mark as paid' }).click();
    await page.getByRole('status').filter({ hasText: 'Marked as paid.' }).waitFor();
  }

  // Fulfil one of the three units of the first line, none of the second, with tracking.
  await page.getByText('Fulfil items', { exact: true }).click();
  await page.getByLabel(`Ship ${order.main.name}`).fill('1');
  if (order.other) await page.getByLabel(`Ship ${order.other.name}`).fill('0');
  await page.getByLabel('Tracking company').fill('UPS');
  await page.getByLabel('Tracking number').fill('1Z999AA10123456784');
  await page.getByLabel('Tracking URL').fill('https://ups.example/track/1Z999AA10123456784');
  await page.getByRole('button', { name: 'Create fulfilment' }).click();
  await page.getByRole('status').filter({ hasText: 'Fulfilment created.' }).waitFor();
  await badges.getByText('Partially fulfilled').waitFor();
  const shipped = page.getByRole('link', { name: '1Z999AA10123456784' });
  await shipped.waitFor();
  check(await shipped.getAttribute('href') === 'https://ups.example/track/1Z999AA10123456784', 'the tracking link is wrong');
  check(await page.getByText(`1 × ${order.main.name}`).count() === 1, 'the fulfilment does not list its unit');

  // A shipped order cannot be cancelled: the refusal shows as an alert and changes nothing.
  await page.getByText('Cancel order', { exact: true }).click();
  await page.getByRole('button', { name: 'Confirm cancellation' }).click();
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  check(/fulfil/i.test(await refusal.textContent()), `the cancellation's refusal: ${await refusal.textContent()}`);
  check(await badges.getByText(/Cancelled/).count() === 0, 'the refused cancellation cancelled the order');

  // Refund one unit of the first line, put back in stock.
  await page.getByText('Refund items', { exact: true }).click();
  const refundForm = page.getByRole('form', { name: 'Refund items' });
  await page.getByRole('button', { name: 'Create refund' }).click(); // nothing chosen: the API says so
  check(/Nothing to refund/.test(await refundForm.getByRole('alert').textContent()), 'an empty refund is not refused on screen');
  await page.getByLabel(`Refund ${order.main.name}`).fill('1');
  check(await page.getByLabel(`Restock ${order.main.name}`).isChecked(), 'restock is not the default');
  await page.getByLabel('Refund reason').fill('Too small');
  await page.getByRole('button', { name: 'Create refund' }).click();
  await page.getByRole('status').filter({ hasText: 'Refund created.' }).waitFor();
  await badges.getByText('Partially refunded').waitFor();
  await page.getByText(`1 × ${order.main.name}, 1 restocked`).waitFor();

  // The stock on screen: three taken by the order, one back.
  const row = page.getByRole('region', { name: 'Items table' }).getByRole('row').filter({ hasText: order.main.name });
  const stockCell = row.locator('td').last();
  check(Number(await stockCell.textContent()) === stockAfterOrder + 1,
    `stock on screen ${await stockCell.textContent()}, want ${stockAfterOrder + 1}`);
  check(await stockOf(handle, order.main.id) === stockAfterOrder + 1, 'the storefront does not see the unit back in stock');

  // A note, then the timeline holds every step, newest first.
  await page.getByLabel('Staff note').fill('Customer asked for a smaller size.');
  await page.getByRole('button', { name: 'Save note' }).click();
  await page.getByRole('status').filter({ hasText: 'Note saved.' }).waitFor();
  const timeline = page.getByRole('list', { name: 'Timeline' });
  await timeline.getByText('Note changed').waitFor();
  for (const entry of ['Order placed', 'Items fulfilled', 'Refund', 'Stock changed']) {
    check(await timeline.getByText(entry, { exact: true }).count() >= 1, `the timeline has no "${entry}"`);
  }
  const kinds = await timeline.locator('li strong').allTextContents();
  // The invoice and the refund's credit note are issued in the background: Reload shows them.
  const invoices = page.locator('.panel').filter({ has: page.getByRole('heading', { name: 'Invoices' }) });
  for (let i = 0; i < 50 && await invoices.getByRole('link').count() < 2; i++) {
    await page.waitForTimeout(200);
    await page.getByRole('button', { name: 'Reload' }).click();
  }
  check(await invoices.getByRole('link', { name: /^Invoice INV-/ }).count() === 1, 'no invoice link');
  check(await invoices.getByRole('link', { name: /^Credit note CN-/ }).count() === 1, 'no credit note link');
  const pdf = await page.request.get(await invoices.getByRole('link', { name: /^Invoice INV-/ }).getAttribute('href'));
  check(pdf.ok() && (await pdf.body()).subarray(0, 4).toString() === '%PDF', `the invoice link answers ${pdf.status()}`);
  if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/order-managed.png`, fullPage: true });
  check(kinds[0] === 'Note changed', `timeline order: ${kinds.join(', ')}`);

  // The buyer's customer page lists the order and the address they saved.
  const customerHash = await page.getByRole('link', { name: 'Flo Buyer' }).getAttribute('href');
  check(customerHash.startsWith('#/customers/gid'), `the customer link is ${customerHash}`);
  await screen(page, 'customer', customerHash, 'Flo Buyer');
  await page.getByRole('link', { name: orderName }).waitFor();
  check(await page.getByText('1 Main St').count() >= 1, 'the customer page shows no address');
  placed = { ...order, orderName };
  await cancelAnother(page, handle, order.main.id);
}

// cancelAnother cancels a second, unshipped order with refund and restock, and finds it by its status.
async function cancelAnother(page, handle, variantId) {
  const order = await placeOrder(handle, variantId, 2, false);
  await screen(page, 'order (to cancel)', `#/orders/${encodeURIComponent(order.orderId)}`, /^Order #/);
  await page.getByText('Cancel order', { exact: true }).click();
  await page.getByLabel('Cancellation reason').selectOption('INVENTORY');
  check(await page.getByLabel('Refund the payment').isChecked() && await page.getByLabel('Restock the items').isChecked(),
    'refund and restock are not the defaults');
  await page.getByRole('button', { name: 'Confirm cancellation' }).click();
  await page.getByRole('status').filter({ hasText: 'Order cancelled.' }).waitFor();
  const badges = page.locator('.badges');
  await badges.getByText(/^Cancelled .*\(Inventory\)$/).waitFor();
  await badges.getByText('Refunded', { exact: true }).waitFor();
  check(await page.getByRole('heading', { name: 'Actions' }).count() === 0, 'a refunded, cancelled order still offers actions');
  const stock = page.getByRole('region', { name: 'Items table' }).getByRole('row').filter({ hasText: order.main.name }).locator('td').last();
  check(Number(await stock.textContent()) === order.main.quantityAvailable, `stock after the cancellation: ${await stock.textContent()}, want ${order.main.quantityAvailable}`);
  await page.getByRole('list', { name: 'Timeline' }).getByText('Order cancelled', { exact: true }).waitFor();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders' }).click();
  await page.getByRole('heading', { level: 1, name: 'Orders' }).waitFor();
  await page.getByLabel('Customer email').fill(order.email);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByLabel('Status').selectOption('open');
  await page.getByText('No order matches.').waitFor();
  await page.getByLabel('Status').selectOption('cancelled');
  await page.getByRole('region', { name: 'Orders table' }).getByRole('row').filter({ hasText: 'Cancelled' }).waitFor();
}

// reader: a staff member with READ_ORDERS alone, on a phone, sees the order but no action, no customer.
export async function reader() {
  check(placed, 'the owner flow placed no order');
  const x = await session({ width: 390, height: 844 });
  const { page } = x;
  await onScreen(x, () => readOnly(page));
  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();
}

async function readOnly(page) {
  await signIn(page, process.env.READER_EMAIL, process.env.READER_PASSWORD);
  await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor(); // the first screen, before the timed one
  await screen(page, 'order (phone, reader)', `#/orders/${encodeURIComponent(placed.orderId)}`, `Order ${placed.orderName}`);
  await page.getByRole('list', { name: 'Timeline' }).getByText('Items fulfilled').waitFor();
  await page.getByText('Customer asked for a smaller size.', { exact: true }).waitFor();
  check(await page.getByRole('heading', { name: 'Actions' }).count() === 0, 'the reader sees the actions');
  for (const name of ['Create fulfilment', 'Create refund', 'Confirm cancellation', 'Mark as paid', 'Save note']) {
    check(await page.getByRole('button', { name }).count() === 0, `the reader sees "${name}"`);
  }
  check(await page.getByText('Fulfil items', { exact: true }).count() === 0, 'the reader sees the fulfil form');
  check(await page.getByRole('link', { name: 'Flo Buyer' }).count() === 0, 'the reader sees the customer');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the order page is ${overflow}px wider than the phone`);
}
