// Discounts (READ_DISCOUNTS to see, MANAGE_DISCOUNTS to change): the list, and an editor for every kind
// the Admin API has (percentage, fixed amount, free shipping, buy X get Y; with a code or automatic) with
// its rules: targets, minimums, dates, usage limits and combinations.
import { html, gql, money, date, useQuery, Pager, can } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';
import { mutate, useAction, Notice, ConfirmButton, opt, optInt } from './settings-kit.js';

const FIELDS = `id title code automatic kind target percentage amount { amount currencyCode } minimumSubtotal { amount currencyCode }
  minimumQuantity buyQuantity getQuantity productIds collectionIds usageLimit usageCount oncePerCustomer startsAt endsAt
  combinesWithProductDiscounts combinesWithOrderDiscounts active`;

const LIST = `query($after: String) { discounts(first: 25, after: $after) { nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } } }`;

const KINDS = { PERCENTAGE: 'Percentage off', FIXED_AMOUNT: 'Fixed amount off', FREE_SHIPPING: 'Free shipping', BUY_X_GET_Y: 'Buy X get Y' };

function value(d) {
  switch (d.kind) {
    case 'PERCENTAGE': return `${d.percentage} % off`;
    case 'FIXED_AMOUNT': return `${money(d.amount)} off`;
    case 'FREE_SHIPPING': return 'free shipping';
    default: return `buy ${d.buyQuantity}, get ${d.getQuantity} at ${d.percentage} % off`;
  }
}

export function Discounts({ me }) {
  const [after, setAfter] = useState(null);
  const { data, error, loading } = useQuery(LIST, { after }, [after]);
  const list = data && data.discounts;
  return html`<h1>Discounts</h1>
    ${can(me, 'MANAGE_DISCOUNTS') && html`<p><a class="button" href="#/discounts/new">New discount</a></p>`}
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-label="Discounts table" aria-busy=${loading ? 'true' : 'false'}>
      <table><caption class="skip">Discounts</caption>
        <thead><tr><th scope="col">Title</th><th scope="col">Code</th><th scope="col">Value</th><th scope="col">Applies to</th>
          <th scope="col">Minimum</th><th scope="col" class="num">Used</th><th scope="col">Dates</th><th scope="col">State</th></tr></thead>
        <tbody>${list && list.nodes.map((d) => html`<tr>
          <td><a href=${`#/discounts/${encodeURIComponent(d.id)}`}>${d.title}</a></td>
          <td>${d.automatic ? html`<em>automatic</em>` : html`<code>${d.code}</code>`}</td>
          <td>${value(d)}</td><td>${d.target.toLowerCase()}</td>
          <td>${d.minimumSubtotal ? money(d.minimumSubtotal) : d.minimumQuantity ? `${d.minimumQuantity} items` : '—'}</td>
          <td class="num">${d.usageCount}${d.usageLimit ? ` / ${d.usageLimit}` : ''}</td>
          <td>${date(d.startsAt)}${d.endsAt ? ` – ${date(d.endsAt)}` : ''}</td>
          <td><span class=${`badge ${d.active ? 'ACTIVE' : 'ARCHIVED'}`}>${d.active ? 'active' : 'inactive'}</span></td></tr>`)}</tbody>
      </table>
    </div>
    ${list && list.nodes.length === 0 && html`<p>No discount yet.</p>`}
    <${Pager} pageInfo=${list && list.pageInfo} first=${!after} onFirst=${() => setAfter(null)} onNext=${() => setAfter(list.pageInfo.endCursor)} />`;
}

const ONE = `query($id: ID!) { discount(id: $id) { ${FIELDS} } collections(first: 100) { nodes { id title } } }`;
const COLLECTIONS = `{ collections(first: 100) { nodes { id title } } }`;

export function Discount({ me, id }) {
  const creating = id === 'new';
  const [version, setVersion] = useState(0);
  const { data, error } = useQuery(creating ? COLLECTIONS : ONE, creating ? {} : { id }, [id, version]);
  const back = html`<p><a href="#/discounts">← Discounts</a></p>`;
  if (error) return html`${back}<h1>Discount</h1><p class="error" role="alert">${error.message}</p>`;
  if (!data) return html`${back}<p aria-busy="true">Loading…</p>`;
  const d = creating ? null : data.discount;
  if (!creating && !d) return html`${back}<h1>Discount not found</h1>`;
  const manage = can(me, 'MANAGE_DISCOUNTS');
  return html`${back}<h1>${creating ? 'New discount' : d.title}</h1>
    ${d && html`<p>${d.automatic ? 'Automatic' : html`Code <code>${d.code}</code>`}: ${value(d)}, used ${d.usageCount} times.</p>`}
    ${manage ? html`<${DiscountForm} key=${`${id}-${version}`} discount=${d} collections=${data.collections.nodes}
      onSaved=${(saved) => { if (creating) location.hash = `#/discounts/${encodeURIComponent(saved.id)}`; else setVersion(version + 1); }} />`
      : html`<p>Your permissions let you see discounts, not change them.</p>`}`;
}

// toLocal writes an ISO time as a datetime-local input's value, in the browser's time zone.
function toLocal(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  return new Date(t.getTime() - t.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function DiscountForm({ discount, collections, onSaved }) {
  const d = discount || { title: '', code: '', automatic: false, kind: 'PERCENTAGE', target: 'ORDER', percentage: null, amount: null,
    minimumSubtotal: null, minimumQuantity: 0, buyQuantity: 0, getQuantity: 0, productIds: [], collectionIds: [], usageLimit: null,
    oncePerCustomer: false, startsAt: null, endsAt: null, combinesWithProductDiscounts: false, combinesWithOrderDiscounts: false, active: true };
  const [kind, setKind] = useState(d.kind);
  const [target, setTarget] = useState(d.target);
  const [method, setMethod] = useState(d.automatic ? 'automatic' : 'code');
  const [products, setProducts] = useState(d.productIds);
  const action = useAction();
  const remove = useAction();
  async function save(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const currency = opt(f, 'currency');
    const input = {
      title: String(f.get('title')).trim(), kind, target,
      percentage: kind === 'PERCENTAGE' || kind === 'BUY_X_GET_Y' ? opt(f, 'percentage') : null,
      amount: kind === 'FIXED_AMOUNT' ? opt(f, 'amount') : null,
      currencyCode: currency ? currency.toUpperCase() : null,
      // An emptied minimum is zero: null would leave the old one.
      minimumSubtotal: opt(f, 'minSubtotal') ?? (currency && discount ? '0' : null),
      minimumQuantity: optInt(f, 'minQuantity') ?? 0,
      buyQuantity: kind === 'BUY_X_GET_Y' ? optInt(f, 'buy') : null,
      getQuantity: kind === 'BUY_X_GET_Y' ? optInt(f, 'get') : null,
      productIds: target === 'PRODUCTS' ? products : [],
      collectionIds: target === 'COLLECTIONS' ? f.getAll('collections') : [],
      usageLimit: optInt(f, 'usageLimit'),
      oncePerCustomer: f.get('oncePerCustomer') === 'on',
      startsAt: f.get('startsAt') ? new Date(f.get('startsAt')).toISOString() : null,
      endsAt: f.get('endsAt') ? new Date(f.get('endsAt')).toISOString() : null,
      combinesWithProductDiscounts: f.get('combinesProduct') === 'on',
      combinesWithOrderDiscounts: f.get('combinesOrder') === 'on',
      active: f.get('active') === 'on',
    };
    if (!discount && method === 'code') input.code = String(f.get('code')).trim();
    const p = await action.act(() => (discount
      ? mutate(`mutation($id: ID!, $i: DiscountInput!) { discountUpdate(id: $id, input: $i) { discount { id } userErrors { field message } } }`,
        { id: discount.id, i: input }, 'discountUpdate')
      : mutate(`mutation($i: DiscountInput!) { discountCreate(input: $i) { discount { id } userErrors { field message } } }`,
        { i: input }, 'discountCreate')), 'Discount saved.');
    if (p) onSaved(p.discount);
  }
  async function destroy() {
    if (await remove.act(() => mutate(`mutation($id: ID!) { discountDelete(id: $id) { deletedDiscountId userErrors { field message } } }`,
      { id: discount.id }, 'discountDelete'))) location.hash = '#/discounts';
  }
  const currency = (d.amount && d.amount.currencyCode) || (d.minimumSubtotal && d.minimumSubtotal.currencyCode) || '';
  return html`<form class="panel" aria-label=${discount ? 'Edit discount' : 'New discount'} onSubmit=${save}>
      <label for="discount-title">Discount title</label><input id="discount-title" name="title" required maxlength="255" defaultValue=${d.title} />
      ${discount ? null : html`<fieldset class="inline-checks"><legend>How buyers get it</legend>
        <label><input type="radio" name="method" value="code" checked=${method === 'code'} onChange=${() => setMethod('code')} /> With a code</label>
        <label><input type="radio" name="method" value="automatic" checked=${method === 'automatic'} onChange=${() => setMethod('automatic')} /> Automatically</label>
      </fieldset>
      ${method === 'code' && html`<label for="discount-code">Discount code</label><input id="discount-code" name="code" required maxlength="255"
        aria-describedby="discount-code-help" /><small id="discount-code-help">Buyers type it at checkout; no spaces; stored in capitals.</small>`}`}
      <div class="row">
        <div><label for="discount-kind">Kind</label><select id="discount-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
          ${Object.entries(KINDS).map(([k, t]) => html`<option value=${k}>${t}</option>`)}</select></div>
        <div><label for="discount-target">Applies to</label><select id="discount-target" value=${target} onChange=${(e) => setTarget(e.target.value)}>
          <option value="ORDER">The whole order</option><option value="PRODUCTS">Some products</option><option value="COLLECTIONS">Some collections</option></select></div>
      </div>
      <div class="row">
        ${(kind === 'PERCENTAGE' || kind === 'BUY_X_GET_Y') && html`<div><label for="discount-percentage">${kind === 'BUY_X_GET_Y' ? 'Percent off the free items' : 'Percent off'}</label>
          <input id="discount-percentage" name="percentage" inputmode="decimal" required defaultValue=${d.percentage ?? ''} /></div>`}
        ${kind === 'FIXED_AMOUNT' && html`<div><label for="discount-amount">Amount off</label>
          <input id="discount-amount" name="amount" inputmode="decimal" required defaultValue=${d.amount ? d.amount.amount : ''} /></div>`}
        ${kind === 'BUY_X_GET_Y' && html`<div><label for="discount-buy">Buy quantity</label><input id="discount-buy" name="buy" type="number" min="1" required defaultValue=${d.buyQuantity || ''} /></div>
          <div><label for="discount-get">Get quantity</label><input id="discount-get" name="get" type="number" min="1" required defaultValue=${d.getQuantity || ''} /></div>`}
        <div><label for="discount-currency">Currency</label><input id="discount-currency" name="currency" maxlength="3" required=${kind === 'FIXED_AMOUNT'}
          aria-describedby="discount-currency-help" defaultValue=${currency} /><small id="discount-currency-help">Of the amount and the minimum subtotal.</small></div>
      </div>
      ${target === 'PRODUCTS' && html`<${ProductPicker} chosen=${products} onChange=${setProducts} />`}
      ${target === 'COLLECTIONS' && html`<fieldset class="checks"><legend>Collections</legend>
        ${collections.map((c) => html`<label><input type="checkbox" name="collections" value=${c.id} defaultChecked=${d.collectionIds.includes(c.id)} /> ${c.title}</label>`)}</fieldset>`}
      <div class="row">
        <div><label for="discount-min-subtotal">Minimum subtotal</label><input id="discount-min-subtotal" name="minSubtotal" inputmode="decimal"
          defaultValue=${d.minimumSubtotal ? d.minimumSubtotal.amount : ''} /></div>
        <div><label for="discount-min-quantity">Minimum quantity</label><input id="discount-min-quantity" name="minQuantity" type="number" min="0"
          defaultValue=${d.minimumQuantity || ''} /></div>
        <div><label for="discount-usage-limit">Usage limit</label><input id="discount-usage-limit" name="usageLimit" type="number" min="1"
          defaultValue=${d.usageLimit ?? ''} /></div>
      </div>
      <div class="row">
        <div><label for="discount-starts">Starts</label><input id="discount-starts" name="startsAt" type="datetime-local" defaultValue=${toLocal(d.startsAt)} /></div>
        <div><label for="discount-ends">Ends</label><input id="discount-ends" name="endsAt" type="datetime-local" defaultValue=${toLocal(d.endsAt)} /></div>
      </div>
      <div class="inline-checks">
        <label><input type="checkbox" name="oncePerCustomer" defaultChecked=${d.oncePerCustomer} /> Once per customer</label>
        <label><input type="checkbox" name="combinesProduct" defaultChecked=${d.combinesWithProductDiscounts} /> Combines with product discounts</label>
        <label><input type="checkbox" name="combinesOrder" defaultChecked=${d.combinesWithOrderDiscounts} /> Combines with order discounts</label>
        <label><input type="checkbox" name="active" defaultChecked=${d.active} /> Active</label>
      </div>
      <p class="buttons"><button type="submit" disabled=${action.busy}>${discount ? 'Save discount' : 'Create discount'}</button>
        ${discount && html`<${ConfirmButton} label="Delete" name="Delete discount" question=${`Delete ${discount.title}? Carts lose it at once.`} onConfirm=${destroy} />`}</p>
      <${Notice} note=${action.note} /><${Notice} note=${remove.note} />
    </form>`;
}

const FIND = `query($q: String) { products(first: 10, query: $q) { nodes { id title } } }`;
const NAMES = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { id title } } }`;

// ProductPicker finds products by name and keeps the chosen ones' IDs.
function ProductPicker({ chosen, onChange }) {
  const [found, setFound] = useState([]);
  const [titles, setTitles] = useState({});
  const named = useQuery(NAMES, { ids: chosen }, [chosen.join()]);
  const known = { ...titles };
  for (const n of (named.data && named.data.nodes) || []) if (n) known[n.id] = n.title;
  async function find() {
    const q = document.getElementById('discount-product-search').value.trim();
    const d = await gql(FIND, { q: q || null });
    setFound(d.products.nodes);
  }
  function add(p) {
    setTitles({ ...titles, [p.id]: p.title });
    if (!chosen.includes(p.id)) onChange([...chosen, p.id]);
  }
  return html`<fieldset class="picker"><legend>Products</legend>
    <ul class="chosen">${chosen.map((id) => html`<li>${known[id] || id}
      <button type="button" class="secondary" aria-label=${`Remove ${known[id] || id}`} onClick=${() => onChange(chosen.filter((x) => x !== id))}>Remove</button></li>`)}</ul>
    <div class="row"><div><label for="discount-product-search">Find products</label>
      <input id="discount-product-search" type="search" onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } }} /></div>
      <button type="button" class="secondary" onClick=${find}>Find</button></div>
    <ul class="found">${found.map((p) => html`<li>${p.title}
      <button type="button" class="secondary" aria-label=${`Add ${p.title}`} disabled=${chosen.includes(p.id)} onClick=${() => add(p)}>Add</button></li>`)}</ul>
  </fieldset>`;
}
