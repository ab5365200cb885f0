// Settings and discounts: the owner creates a tax rate and a shipping zone, subscribes a webhook (or sees
// why the address is refused), creates an API key whose secret is shown once and works, revokes it, makes
// a discount code that a storefront cart accepts, and finds these changes in the audit log. The API keys
// screen is also used on a phone.
import { base, check, figures, screen, session, signIn } from '../lib.mjs';

// api posts one GraphQL operation as a partner or storefront would, with the headers given.
async function api(query, variables = {}, headers = {}) {
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

// visit opens a screen already checked once (timed and axe-checked by screen) and waits for its heading.
async function visit(page, hash, heading) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

// confirm presses a dangerous button, then the confirmation it asks for.
async function confirm(page, name, yes) {
  await page.getByRole('button', { name }).click();
  await page.getByRole('button', { name: yes }).click();
}

export async function owner() {
  const start = Date.now();
  const x = await session({ width: 1280, height: 800 });
  const { page } = x;
  try {
    await ownerSteps(x, page);
  } catch (err) {
    // What the screen showed says more than a timeout does.
    console.log('settings flow failed on this screen:\n', await page.locator('main').innerText().catch(() => ''), x.errors);
    throw err;
  }
  figures.settingsFlowMs = Date.now() - start;
}

async function ownerSteps(x, page) {
  await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await screen(page, 'settings', '#/settings', 'Settings');
  await screen(page, 'settings: shop', '#/settings/shop', 'Shop and payments');
  await page.getByText('At checkout').waitFor();

  // Tax: a refused rate shows the server's userError, then a good one is listed.
  await screen(page, 'settings: tax', '#/settings/tax', 'Tax rates');
  await page.getByLabel('Country code').fill('NZ');
  await page.getByLabel('Tax name').fill('GST');
  await page.getByLabel('Rate (percent)').fill('150');
  await page.getByRole('button', { name: 'Create tax rate' }).click();
  await page.getByRole('alert').filter({ hasText: /rate/i }).waitFor();
  await page.getByLabel('Rate (percent)').fill('15');
  await page.getByRole('button', { name: 'Create tax rate' }).click();
  await page.getByRole('status').filter({ hasText: 'Tax rate created.' }).waitFor();
  await page.getByRole('button', { name: 'Edit GST NZ' }).waitFor();

  // Shipping: a zone with one flat rate, listed with its price.
  await screen(page, 'settings: shipping', '#/settings/shipping', 'Shipping zones');
  await page.getByLabel('Zone name').fill('Oceania');
  await page.getByLabel('Countries').fill('NZ, AU');
  await page.getByLabel('Rate title').fill('Oceania standard');
  await page.getByLabel('Rate handle').fill('oceania-standard');
  await page.getByLabel('Rate currency').fill('USD');
  await page.getByLabel('Rate price').fill('12.50');
  await page.getByRole('button', { name: 'Create shipping zone' }).click();
  await page.getByRole('status').filter({ hasText: 'Shipping zone created.' }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Oceania', exact: true }).waitFor();
  await page.getByRole('cell', { name: '$12.50' }).first().waitFor();

  // Webhooks: a private address is refused with a clear message, or the subscription is listed with its
  // secret shown once.
  await screen(page, 'settings: webhooks', '#/settings/webhooks', 'Webhooks');
  await page.getByLabel('Topic').selectOption('ORDERS_CREATE');
  await page.getByLabel('Callback URL').fill('http://127.0.0.1:9/hooks');
  await page.getByRole('button', { name: 'Create subscription' }).click();
  const outcome = page.getByRole('alert').or(page.getByRole('status').filter({ hasText: 'Subscription created.' }));
  await outcome.first().waitFor();
  if (await page.getByRole('alert').count()) {
    const refusal = await page.getByRole('alert').textContent();
    check(/address|private|public|allowed|url/i.test(refusal), `the webhook refusal is unclear: ${refusal}`);
    figures.webhook = `refused: ${refusal}`;
  } else {
    await page.getByRole('region', { name: 'Signing secret' }).waitFor();
    await page.getByRole('cell', { name: 'http://127.0.0.1:9/hooks', exact: true }).waitFor();
    figures.webhook = 'subscribed';
  }

  // A public address (never called: nothing deletes a collection here) is subscribed: its signing
  // secret is shown, its deliveries open, and it is deleted after a confirmation.
  await page.getByLabel('Topic').selectOption('COLLECTIONS_DELETE');
  await page.getByLabel('Callback URL').fill('https://93.184.215.14/hooks');
  await page.getByRole('button', { name: 'Create subscription' }).click();
  await page.getByRole('status').filter({ hasText: 'Subscription created.' }).waitFor();
  await page.getByRole('region', { name: 'Signing secret' }).waitFor();
  await page.getByRole('button', { name: 'Deliveries of collections/delete to https://93.184.215.14/hooks' }).click();
  await page.getByText('No delivery yet').waitFor();
  await confirm(page, 'Delete collections/delete to https://93.184.215.14/hooks', 'Yes, delete');
  await page.getByRole('status').filter({ hasText: 'Deleted the collections/delete subscription.' }).waitFor();
  await page.getByRole('cell', { name: 'https://93.184.215.14/hooks', exact: true }).waitFor({ state: 'detached' }); // the list, reloaded

  // API keys: the secret is shown once, works, is gone after leaving the screen, and stops working when
  // the key is revoked.
  await screen(page, 'settings: api keys', '#/settings/api-keys', 'API keys');
  await page.getByLabel('Key name').fill('E2E key');
  await page.getByLabel('Read discounts').check();
  await page.getByRole('button', { name: 'Create API key' }).click();
  const secretBox = page.getByRole('region', { name: 'Secret of E2E key' });
  await secretBox.waitFor();
  const secret = await secretBox.getByLabel('Secret of E2E key').inputValue();
  check(secret.length > 20, `no secret shown: ${secret}`);
  await secretBox.getByRole('button', { name: 'Copy' }).click();
  await secretBox.getByRole('status').waitFor();
  const asKey = { 'X-API-Key': secret };
  let r = await api('{ discounts(first: 1) { nodes { id } } }', {}, asKey);
  check(r.status === 200 && r.body.data && r.body.data.discounts && !r.body.errors, `the new key does not work: ${JSON.stringify(r)}`);
  r = await api('{ discounts(first: 1) { nodes { id } } }');
  check(r.body.errors && r.body.errors.length > 0, 'discounts are readable without a key');
  await visit(page, '#/settings', 'Settings');
  await visit(page, '#/settings/api-keys', 'API keys');
  await page.getByRole('cell', { name: 'E2E key', exact: true }).waitFor();
  check(!(await page.content()).includes(secret), 'the secret is shown again after navigating away');
  await confirm(page, 'Revoke E2E key', 'Yes, revoke');
  await page.getByRole('status').filter({ hasText: 'Revoked E2E key' }).waitFor();
  r = await api('{ discounts(first: 1) { nodes { id } } }', {}, asKey);
  check(r.status === 401, `the revoked key still answers ${r.status}: ${JSON.stringify(r.body)}`);

  // Discounts: a 10 % code, made on screen, taken by a storefront cart.
  await screen(page, 'discounts', '#/discounts', 'Discounts');
  await page.getByRole('link', { name: 'New discount' }).click();
  await screen(page, 'discount (new)', '#/discounts/new', 'New discount');
  await page.getByLabel('Discount title').fill('E2E ten off');
  await page.getByLabel('Discount code').fill('E2ETEN');
  await page.getByLabel('Kind').selectOption('PERCENTAGE');
  await page.getByLabel('Percent off').fill('10');
  await page.getByRole('button', { name: 'Create discount' }).click();
  await page.getByRole('heading', { level: 1, name: 'E2E ten off' }).waitFor();
  await page.getByText('E2ETEN').first().waitFor();
  const products = await api('{ products(first: 1) { nodes { variants(first: 1) { nodes { id } } } } }');
  const variant = products.body.data.products.nodes[0].variants.nodes[0].id;
  const cart = await api(`mutation($v: ID!) { cartCreate(input: { lines: [{ merchandiseId: $v, quantity: 2 }] }) {
    cart { id cost { subtotalAmount { amount } totalAmount { amount } } } userErrors { message } } }`, { v: variant });
  const cartId = cart.body.data.cartCreate.cart.id;
  const before = Number(cart.body.data.cartCreate.cart.cost.totalAmount.amount);
  const coded = await api(`mutation($c: ID!) { cartDiscountCodesUpdate(cartId: $c, discountCodes: ["e2eten"]) {
    cart { discountCodes { code applicable } cost { totalAmount { amount } } } userErrors { message } } }`, { c: cartId });
  const after = coded.body.data.cartDiscountCodesUpdate.cart;
  check(after.discountCodes.some((d) => d.code.toUpperCase() === 'E2ETEN' && d.applicable), `the code does not apply: ${JSON.stringify(coded.body)}`);
  check(Number(after.cost.totalAmount.amount) < before, `the code took nothing off: ${before} → ${after.cost.totalAmount.amount}`);

  // The discount is edited, then deleted after a confirmation.
  await page.getByLabel('Percent off').fill('15');
  await page.getByRole('button', { name: 'Save discount' }).click();
  await page.getByText('15 % off').waitFor();
  await confirm(page, 'Delete discount', 'Yes, delete');
  await page.getByRole('heading', { level: 1, name: 'Discounts' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]')); // the list, loaded
  check(await page.getByRole('link', { name: 'E2E ten off' }).count() === 0, 'the deleted discount is still listed');

  // An automatic fixed amount off one product, chosen with the picker, then deleted (it would change the
  // prices the flows that follow expect).
  await page.getByRole('link', { name: 'New discount' }).click();
  await page.getByLabel('Discount title').fill('E2E tee five off');
  await page.getByLabel('Automatically').check();
  check(await page.getByLabel('Discount code').count() === 0, 'an automatic discount asks for a code');
  await page.getByLabel('Kind').selectOption('FIXED_AMOUNT');
  await page.getByLabel('Applies to').selectOption('PRODUCTS');
  await page.getByLabel('Amount off').fill('5');
  await page.getByLabel('Currency', { exact: true }).fill('USD');
  await page.getByLabel('Find products').fill('organic cotton');
  await page.getByLabel('Find products').press('Enter');
  await page.getByRole('button', { name: 'Add Organic Cotton Tee' }).click();
  await page.getByRole('button', { name: 'Remove Organic Cotton Tee' }).waitFor();
  await page.getByRole('button', { name: 'Create discount' }).click();
  await page.getByRole('heading', { level: 1, name: 'E2E tee five off' }).waitFor();
  await page.getByText('Automatic: $5.00 off').waitFor();
  await page.getByRole('button', { name: 'Remove Organic Cotton Tee' }).waitFor(); // the saved product, named again
  await confirm(page, 'Delete discount', 'Yes, delete');
  await page.getByRole('heading', { level: 1, name: 'Discounts' }).waitFor();

  // Staff: a group, a member in it, deactivated after a confirmation.
  await screen(page, 'settings: staff', '#/settings/staff', 'Staff and permission groups');
  await page.getByLabel('Group name').fill('Support');
  await page.getByRole('group', { name: 'Group permissions' }).getByLabel('Read customers').check();
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('cell', { name: 'Support', exact: true }).waitFor();
  await page.getByLabel('Staff email').fill('support@example.com');
  await page.getByLabel('Staff name').fill('Sam Support');
  await page.getByLabel('First password').fill('support-password-1');
  await page.getByRole('group', { name: 'Groups' }).getByLabel('Support').check();
  await page.getByRole('button', { name: 'Add staff member' }).click();
  await page.getByRole('cell', { name: 'support@example.com', exact: true }).waitFor();
  await confirm(page, 'Deactivate support@example.com', 'Yes, deactivate');
  await page.getByRole('button', { name: 'Reactivate support@example.com' }).waitFor();

  // The shop's name is saved through shopUpdate.
  await visit(page, '#/settings/shop', 'Shop and payments');
  const name = await page.getByLabel('Name', { exact: true }).inputValue();
  await page.getByLabel('Name', { exact: true }).fill(`${name} (e2e)`);
  await page.getByRole('button', { name: 'Save shop' }).click();
  await page.getByRole('status').filter({ hasText: 'Shop saved.' }).waitFor();
  const shop = await api('{ shop { name } }');
  check(shop.body.data.shop.name === `${name} (e2e)`, `the shop's name is ${shop.body.data.shop.name}`);
  await page.getByLabel('Name', { exact: true }).fill(name); // as it was, for the flows that follow
  await page.getByRole('button', { name: 'Save shop' }).click();
  await page.getByRole('status').filter({ hasText: 'Shop saved.' }).waitFor();

  // The audit log names each change, and its filter narrows to one action.
  await screen(page, 'settings: audit log', '#/settings/audit', 'Audit log');
  for (const action of ['taxRateCreate', 'shippingZoneCreate', 'apiKeyCreate', 'apiKeyRevoke', 'discountCreate', 'discountDelete',
    'staffMemberUpdate', 'shopUpdate']) {
    await page.getByRole('cell', { name: action, exact: true }).first().waitFor();
  }
  await page.getByLabel('Action').fill('apiKeyRevoke');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('tbody tr td:nth-child(3)')].every((td) => td.textContent === 'apiKeyRevoke'));
  check(await page.locator('tbody tr').count() === 1, 'the action filter did not narrow the log to one entry');

  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();
}

// A member who may only read orders sees neither settings nor discounts, even by URL.
export async function reader() {
  const x = await session({ width: 1280, height: 800 });
  const { page } = x;
  await signIn(page, process.env.READER_EMAIL, process.env.READER_PASSWORD);
  const nav = page.getByRole('navigation', { name: 'Main' });
  check(await nav.getByRole('link', { name: 'Settings' }).count() === 0, 'the reader sees Settings');
  check(await nav.getByRole('link', { name: 'Discounts' }).count() === 0, 'the reader sees Discounts');
  for (const hash of ['#/settings/api-keys', '#/discounts/new']) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
  }
  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();
}

// The owner on a phone: the API keys screen fits the width, and its dangerous action still asks first.
export async function phone() {
  const x = await session({ width: 390, height: 844 });
  const { page } = x;
  await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await screen(page, 'settings: api keys (phone)', '#/settings/api-keys', 'API keys');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the API keys screen is ${overflow}px wider than a phone`);
  await page.getByLabel('Key name').fill('Phone key');
  await page.getByLabel('Read products').check();
  await page.getByRole('button', { name: 'Create API key' }).click();
  await page.getByRole('region', { name: 'Secret of Phone key' }).waitFor();
  await page.getByRole('button', { name: 'Revoke Phone key' }).click();
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute('aria-label') === 'Revoke Phone key');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Cancel' }).click();
  check(await page.getByRole('button', { name: 'Revoke Phone key' }).count() === 1, 'cancelling the revocation lost the button');
  await screen(page, 'discounts (phone)', '#/discounts', 'Discounts');
  check(x.errors.length === 0, `console errors: ${x.errors.join(' | ')}`);
  await x.close();
}
