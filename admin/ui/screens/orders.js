// Orders: the list with search and the payment filter.
import { html, date, money, useQuery, useListState, SearchBox, Pager } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';

const ORDERS = `query($q: String, $after: String) { orders(first: 25, after: $after, query: $q, reverse: true) {
  nodes { id name processedAt email financialStatus fulfillmentStatus totalPrice { amount currencyCode } }
  pageInfo { hasNextPage endCursor } } }`;

export function Orders() {
  const list = useListState();
  const [status, setStatus] = useState('');
  const q = [list.query, status].filter(Boolean).join(' ') || null;
  const { data, error, loading } = useQuery(ORDERS, { q, after: list.after }, [q, list.after]);
  const orders = data ? data.orders : null;
  return html`<h1>Orders</h1>
    <${SearchBox} id="order-search" label="Search orders (name, email, text)" onSearch=${list.search}>
      <div><label for="order-status">Payment</label>
        <select id="order-status" value=${status} onChange=${(e) => { setStatus(e.target.value); list.setAfter(null); }}>
          <option value="">Any</option><option value="financial_status:paid">Paid</option>
          <option value="financial_status:pending">Pending</option><option value="financial_status:refunded">Refunded</option>
        </select></div>
    <//>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-label="Orders table" aria-busy=${loading ? 'true' : 'false'}><table>
      <thead><tr><th scope="col">Order</th><th scope="col">Date</th><th scope="col">Customer</th><th scope="col">Payment</th>
        <th scope="col">Fulfilment</th><th scope="col" class="num">Total</th></tr></thead>
      <tbody>${orders && orders.nodes.map((o) => html`<tr><td>${o.name}</td><td>${date(o.processedAt)}</td><td>${o.email}</td>
        <td><span class=${`badge ${o.financialStatus}`}>${o.financialStatus}</span></td>
        <td><span class=${`badge ${o.fulfillmentStatus}`}>${o.fulfillmentStatus}</span></td>
        <td class="num">${money(o.totalPrice)}</td></tr>`)}</tbody>
    </table></div>
    ${orders && orders.nodes.length === 0 && html`<p>No order matches.</p>`}
    <${Pager} pageInfo=${orders && orders.pageInfo} first=${!list.after}
      onFirst=${() => list.setAfter(null)} onNext=${() => list.setAfter(orders.pageInfo.endCursor)} />`;
}
