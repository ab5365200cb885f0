// Customers: the list with search, and one customer with their addresses and (for staff who may read
// orders) their orders.
import { html, date, money, useQuery, useListState, SearchBox, Pager, can } from '../lib.js';
import { label } from './orders.js';

const CUSTOMERS = `query($q: String, $after: String) { customers(first: 25, after: $after, query: $q) {
  nodes { id email firstName lastName createdAt } pageInfo { hasNextPage endCursor } } }`;

const fullName = (c) => [c.firstName, c.lastName].filter(Boolean).join(' ');

export function Customers() {
  const list = useListState();
  const { data, error, loading } = useQuery(CUSTOMERS, { q: list.query || null, after: list.after }, [list.query, list.after]);
  const customers = data ? data.customers : null;
  return html`<h1>Customers</h1>
    <${SearchBox} id="customer-search" label="Search customers (email, name)" onSearch=${list.search} />
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-label="Customers table" aria-busy=${loading ? 'true' : 'false'}><table>
      <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Since</th></tr></thead>
      <tbody>${customers && customers.nodes.map((c) => html`<tr>
        <td><a href=${`#/customers/${encodeURIComponent(c.id)}`}>${fullName(c) || c.email}</a></td>
        <td>${c.email}</td><td>${date(c.createdAt)}</td></tr>`)}</tbody>
    </table></div>
    ${customers && customers.nodes.length === 0 && html`<p>No customer matches.</p>`}
    <${Pager} pageInfo=${customers && customers.pageInfo} first=${!list.after}
      onFirst=${() => list.setAfter(null)} onNext=${() => list.setAfter(customers.pageInfo.endCursor)} />`;
}

// $orders leaves the orders out for staff without READ_ORDERS: the field would be refused.
const CUSTOMER = `query($id: ID!, $orders: Boolean!) { customer(id: $id) {
  id email firstName lastName displayName phone acceptsMarketing locale createdAt
  defaultAddress { id }
  addresses(first: 50) { nodes { id formatted(withName: true) } }
  orders(first: 50, reverse: true) @include(if: $orders) { nodes { id name processedAt financialStatus fulfillmentStatus canceledAt
    totalPrice { amount currencyCode } } } } }`;

export function Customer({ me, id }) {
  const withOrders = can(me, 'READ_ORDERS');
  const { data, error } = useQuery(CUSTOMER, { id, orders: withOrders }, [id]);
  if (error) return html`<p class="error" role="alert">${error.message}</p>`;
  if (!data) return html`<p aria-busy="true">Loading…</p>`;
  const c = data.customer;
  if (!c) return html`<h1>Customer not found</h1><p><a href="#/customers">← Customers</a></p>`;
  const defaultID = c.defaultAddress && c.defaultAddress.id;
  return html`<p><a href="#/customers">← Customers</a></p>
    <h1>${c.displayName}</h1>
    <div class="panel"><dl class="facts">
      <dt>Email</dt><dd>${c.email || '—'}</dd>
      <dt>Phone</dt><dd>${c.phone || '—'}</dd>
      <dt>Marketing</dt><dd>${c.acceptsMarketing ? 'Accepts email marketing' : 'No marketing'}</dd>
      ${c.locale && html`<dt>Language</dt><dd>${c.locale}</dd>`}
      <dt>Customer since</dt><dd>${date(c.createdAt)}</dd>
    </dl></div>
    <h2>Addresses</h2>
    ${c.addresses.nodes.length ? html`<ul class="plain cards">${c.addresses.nodes.map((a) => html`<li class="panel">
      ${a.id === defaultID && html`<span class="badge">Default</span>`}
      <address>${a.formatted.map((l) => html`${l}<br />`)}</address></li>`)}</ul>` : html`<p>No saved address.</p>`}
    ${withOrders && html`<h2>Orders</h2>
      ${c.orders.nodes.length ? html`<div class="table-wrap" role="region" tabindex="0" aria-label="Customer's orders"><table>
        <thead><tr><th scope="col">Order</th><th scope="col">Date</th><th scope="col">Payment</th><th scope="col">Fulfilment</th>
          <th scope="col" class="num">Total</th></tr></thead>
        <tbody>${c.orders.nodes.map((o) => html`<tr>
          <td><a href=${`#/orders/${encodeURIComponent(o.id)}`}>${o.name}</a>${o.canceledAt && html` <span class="badge VOIDED">Cancelled</span>`}</td>
          <td>${date(o.processedAt)}</td>
          <td><span class=${`badge ${o.financialStatus}`}>${label(o.financialStatus)}</span></td>
          <td><span class=${`badge ${o.fulfillmentStatus}`}>${label(o.fulfillmentStatus)}</span></td>
          <td class="num">${money(o.totalPrice)}</td></tr>`)}</tbody>
      </table></div>` : html`<p>No order yet.</p>`}`}`;
}
