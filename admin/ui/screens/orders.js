// Orders: the list, filtered with the orders(query:) search syntax (status, payment, fulfilment, date
// range, customer); each row opens the order's detail (screens/order.js).
import { html, date, money, useQuery, Pager } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';

const ORDERS = `query($q: String, $after: String) { orders(first: 25, after: $after, query: $q, reverse: true) {
  nodes { id name processedAt email canceledAt financialStatus fulfillmentStatus totalPrice { amount currencyCode } }
  pageInfo { hasNextPage endCursor } } }`;

const PAYMENTS = ['PENDING', 'AUTHORIZED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED'];
const FULFILMENTS = ['UNFULFILLED', 'PARTIALLY_FULFILLED', 'FULFILLED'];

export const label = (s) => (s ? s.charAt(0) + s.slice(1).toLowerCase().replace(/_/g, ' ') : '');

// quoted keeps a typed value one search term, whatever spaces or colons it holds.
const quoted = (v) => `"${v.replace(/["\\]/g, '\\$&')}"`;

// nextDay turns an inclusive "to" date into the exclusive bound the search compares with.
function nextDay(d) {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + 1);
  return t.toISOString().slice(0, 10);
}

// searchOf writes the filters as one orders(query:) string, or null for every order.
export function searchOf(f) {
  const terms = [];
  if (f.text) terms.push(f.text);
  if (f.status) terms.push(`status:${f.status}`);
  if (f.payment) terms.push(`financial_status:${f.payment.toLowerCase()}`);
  if (f.fulfilment) terms.push(`fulfillment_status:${f.fulfilment.toLowerCase()}`);
  if (f.from) terms.push(`created_at:>=${f.from}`);
  if (f.to) terms.push(`created_at:<${nextDay(f.to)}`);
  if (f.customer) terms.push(`email:${quoted(f.customer)}`);
  return terms.join(' ') || null;
}

export function Orders() {
  const [filters, setFilters] = useState({});
  const [after, setAfter] = useState(null);
  const q = searchOf(filters);
  const { data, error, loading } = useQuery(ORDERS, { q, after }, [q, after]);
  const orders = data ? data.orders : null;
  // Every change of a choice applies at once; the text fields apply on Enter or Search.
  function apply(form) {
    const f = Object.fromEntries(new FormData(form).entries());
    for (const k of Object.keys(f)) f[k] = f[k].trim();
    setFilters(f);
    setAfter(null);
  }
  return html`<h1>Orders</h1>
    <form class="toolbar filters" role="search" aria-label="Filter orders"
      onSubmit=${(e) => { e.preventDefault(); apply(e.target); }} onChange=${(e) => e.target.tagName === 'SELECT' && apply(e.currentTarget)}>
      <div><label for="order-search">Search (order name, email)</label><input id="order-search" name="text" type="search" /></div>
      <div><label for="order-status">Status</label>
        <select id="order-status" name="status"><option value="">Any</option><option value="open">Open</option><option value="cancelled">Cancelled</option></select></div>
      <div><label for="order-payment">Payment</label>
        <select id="order-payment" name="payment"><option value="">Any</option>${PAYMENTS.map((s) => html`<option value=${s}>${label(s)}</option>`)}</select></div>
      <div><label for="order-fulfilment">Fulfilment</label>
        <select id="order-fulfilment" name="fulfilment"><option value="">Any</option>${FULFILMENTS.map((s) => html`<option value=${s}>${label(s)}</option>`)}</select></div>
      <div><label for="order-from">Placed from (UTC)</label><input id="order-from" name="from" type="date" /></div>
      <div><label for="order-to">Placed to (UTC)</label><input id="order-to" name="to" type="date" /></div>
      <div><label for="order-customer">Customer email</label><input id="order-customer" name="customer" type="email" /></div>
      <button type="submit">Search</button>
    </form>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-label="Orders table" aria-busy=${loading ? 'true' : 'false'}><table>
      <thead><tr><th scope="col">Order</th><th scope="col">Date</th><th scope="col">Customer</th><th scope="col">Payment</th>
        <th scope="col">Fulfilment</th><th scope="col" class="num">Total</th></tr></thead>
      <tbody>${orders && orders.nodes.map((o) => html`<tr>
        <td><a href=${`#/orders/${encodeURIComponent(o.id)}`}>${o.name}</a>${o.canceledAt && html` <span class="badge VOIDED">Cancelled</span>`}</td>
        <td>${date(o.processedAt)}</td><td>${o.email}</td>
        <td><span class=${`badge ${o.financialStatus}`}>${label(o.financialStatus)}</span></td>
        <td><span class=${`badge ${o.fulfillmentStatus}`}>${label(o.fulfillmentStatus)}</span></td>
        <td class="num">${money(o.totalPrice)}</td></tr>`)}</tbody>
    </table></div>
    ${orders && orders.nodes.length === 0 && html`<p>No order matches.</p>`}
    <${Pager} pageInfo=${orders && orders.pageInfo} first=${!after}
      onFirst=${() => setAfter(null)} onNext=${() => setAfter(orders.pageInfo.endCursor)} />`;
}
