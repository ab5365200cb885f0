// One order for staff: lines with their stock, totals, customer, addresses, fulfilments, refunds,
// invoices (issued in the background after payment and refunds: Reload shows them), the staff note
// and the timeline of its events; the actions (screens/order-actions.js) show
// only to staff who may manage orders, and each one reloads the order when it succeeds.
import { html, date, money, useQuery, can } from '../lib.js';
import { useEffect, useState } from '../vendor/hooks.module.js';
import { label } from './orders.js';
import { Actions, NoteEditor } from './order-actions.js';

// $customer leaves the customer out for staff without READ_CUSTOMERS: the field would be refused.
const ORDER = `query($id: ID!, $customer: Boolean!) { order(id: $id) {
  id name processedAt email phone currencyCode financialStatus fulfillmentStatus canceledAt cancelReason note taxesIncluded
  subtotalPrice { amount currencyCode } totalShippingPrice { amount currencyCode } totalTax { amount currencyCode }
  totalDiscounts { amount currencyCode } totalPrice { amount currencyCode } totalRefunded { amount currencyCode }
  currentTotalPrice { amount currencyCode }
  customer @include(if: $customer) { id displayName email }
  shippingAddress { formatted(withName: true) } billingAddress { formatted(withName: true) }
  shippingLine { title discountedPrice { amount currencyCode } }
  lineItems(first: 100) { nodes { id title variantTitle sku quantity currentQuantity fulfillableQuantity refundableQuantity
    originalUnitPrice { amount currencyCode } discountedTotalPrice { amount currencyCode }
    variant { id quantityAvailable product { id } } } }
  successfulFulfillments(first: 50) { id createdAt trackingCompany trackingInfo { number url }
    fulfillmentLineItems(first: 100) { nodes { quantity lineItem { id title variantTitle } } } }
  refunds { id createdAt note totalRefunded { amount currencyCode } shippingRefunded { amount currencyCode }
    refundLineItems { quantity restocked restockedQuantity lineItem { id title variantTitle } } }
  invoices { id number kind issuedAt url total { amount currencyCode } }
  events(first: 100, reverse: true) { nodes { id kind message actorId createdAt } } } }`;

const lineName = (l) => (l.variantTitle ? `${l.title} — ${l.variantTitle}` : l.title);

// EVENT_TITLES name the timeline's kinds (orders/records.go) in words; unknown kinds show as written.
const EVENT_TITLES = {
  order_created: 'Order placed', paid: 'Payment captured', authorized: 'Payment authorized',
  payment_requires_action: 'Payment awaits the buyer', payment_failed: 'Payment failed', cancelled: 'Order cancelled',
  fulfilled: 'Items fulfilled', refund_created: 'Refund', marked_as_paid: 'Marked as paid', note_updated: 'Note changed',
  inventory_changed: 'Stock changed', tracking_updated: 'Tracking changed', dispute_opened: 'Dispute opened',
  dispute_won: 'Dispute won', dispute_lost: 'Dispute lost',
};

// actor says who made a change from the type in its global ID (gid://emporium/StaffMember/3).
function actor(id) {
  const type = id ? id.split('/')[3] : '';
  return { StaffMember: ' · by staff', ApiKey: ' · by an API key', Customer: ' · by the customer' }[type] || '';
}

function Address({ title, address }) {
  return html`<div class="panel"><h2>${title}</h2>
    ${address ? html`<address>${address.formatted.map((l) => html`${l}<br />`)}</address>` : html`<p>None</p>`}</div>`;
}

export function Order({ me, id }) {
  const [version, setVersion] = useState(0);
  const [notice, setNotice] = useState(null);
  useEffect(() => setNotice(null), [id]); // another order: the last one's outcome is not its own
  const { data, error } = useQuery(ORDER, { id, customer: can(me, 'READ_CUSTOMERS') }, [id, version]);
  if (error) return html`<p class="error" role="alert">${error.message}</p>`;
  if (!data) return html`<p aria-busy="true">Loading…</p>`;
  const o = data.order;
  if (!o) return html`<h1>Order not found</h1><p><a href="#/orders">← Orders</a></p>`;
  const manage = can(me, 'MANAGE_ORDERS');
  const reload = () => setVersion((v) => v + 1);
  const acted = (text) => { setNotice(text); reload(); };
  const lines = o.lineItems.nodes;
  const fulfilments = o.successfulFulfillments || [];
  return html`<p class="crumbs"><a href="#/orders">← Orders</a>
      <button type="button" class="secondary" onClick=${reload}>Reload</button></p>
    <h1>Order ${o.name}</h1>
    <p class="badges">
      <span class=${`badge ${o.financialStatus}`} aria-label=${`Payment: ${label(o.financialStatus)}`}>${label(o.financialStatus)}</span>
      <span class=${`badge ${o.fulfillmentStatus}`} aria-label=${`Fulfilment: ${label(o.fulfillmentStatus)}`}>${label(o.fulfillmentStatus)}</span>
      ${o.canceledAt && html`<span class="badge VOIDED">Cancelled ${date(o.canceledAt)} (${label(o.cancelReason)})</span>`}
    </p>
    <div class="order-grid">
      <div class="panel"><h2>Order</h2><dl class="facts">
        <dt>Placed</dt><dd>${date(o.processedAt)}</dd>
        <dt>Email</dt><dd>${o.email || '—'}</dd>
        ${o.phone && html`<dt>Phone</dt><dd>${o.phone}</dd>`}
        ${o.customer !== undefined && html`<dt>Customer</dt><dd>${o.customer
          ? html`<a href=${`#/customers/${encodeURIComponent(o.customer.id)}`}>${o.customer.displayName}</a>` : 'Guest'}</dd>`}
        <dt>Payment</dt><dd>${label(o.financialStatus)}</dd>
        <dt>Fulfilment</dt><dd>${label(o.fulfillmentStatus)}</dd>
      </dl></div>
      <${Address} title="Shipping address" address=${o.shippingAddress} />
      <${Address} title="Billing address" address=${o.billingAddress} />
    </div>

    <h2>Items</h2>
    <div class="table-wrap" role="region" tabindex="0" aria-label="Items table"><table>
      <thead><tr><th scope="col">Item</th><th scope="col">SKU</th><th scope="col" class="num">Ordered</th>
        <th scope="col" class="num">Refunded</th><th scope="col" class="num">To ship</th><th scope="col" class="num">Unit price</th>
        <th scope="col" class="num">Total</th><th scope="col" class="num">In stock</th></tr></thead>
      <tbody>${lines.map((l) => html`<tr>
        <td>${lineName(l)}</td><td>${l.sku}</td><td class="num">${l.quantity}</td>
        <td class="num">${l.quantity - l.currentQuantity}</td><td class="num">${l.fulfillableQuantity}</td>
        <td class="num">${money(l.originalUnitPrice)}</td><td class="num">${money(l.discountedTotalPrice)}</td>
        <td class="num" data-stock=${l.sku}>${l.variant ? (l.variant.quantityAvailable ?? 'Not tracked') : 'Deleted'}</td></tr>`)}</tbody>
    </table></div>

    <div class="order-grid">
      <div class="panel"><h2>Totals</h2><dl class="facts totals">
        <dt>Subtotal</dt><dd>${money(o.subtotalPrice)}</dd>
        <dt>Shipping${o.shippingLine ? ` (${o.shippingLine.title})` : ''}</dt><dd>${money(o.totalShippingPrice)}</dd>
        <dt>Tax${o.taxesIncluded ? ' (included)' : ''}</dt><dd>${money(o.totalTax)}</dd>
        <dt>Discounts</dt><dd>${money(o.totalDiscounts)}</dd>
        <dt>Total</dt><dd><strong>${money(o.totalPrice)}</strong></dd>
        <dt>Refunded</dt><dd>${money(o.totalRefunded)}</dd>
        <dt>Net</dt><dd>${money(o.currentTotalPrice)}</dd>
      </dl></div>
      <div class="panel"><h2>Invoices</h2>
        ${o.invoices.length ? html`<ul class="plain">${o.invoices.map((i) => html`<li>
          <a href=${i.url} target="_blank" rel="noopener">${i.kind === 'CREDIT_NOTE' ? 'Credit note' : 'Invoice'} ${i.number}</a>${' '}
          · ${money(i.total)} · ${date(i.issuedAt)}</li>`)}</ul>` : html`<p>No invoice yet.</p>`}</div>
      <div class="panel"><h2 id="note-title">Note</h2>
        ${manage ? html`<${NoteEditor} order=${o} onDone=${reload} />` : html`<p>${o.note || 'No note.'}</p>`}</div>
    </div>

    <h2>Fulfilments</h2>
    ${fulfilments.length ? html`<ul class="plain cards">${fulfilments.map((f) => html`<li class="panel">
      <strong>${date(f.createdAt)}</strong>
      ${f.trackingCompany && html` · ${f.trackingCompany}`}
      ${f.trackingInfo.map((t) => html` · ${t.url ? html`<a href=${t.url} target="_blank" rel="noopener">${t.number || t.url}</a>` : t.number}`)}
      <ul>${f.fulfillmentLineItems.nodes.map((n) => html`<li>${n.quantity} × ${lineName(n.lineItem)}</li>`)}</ul></li>`)}</ul>`
    : html`<p>Nothing shipped yet.</p>`}

    <h2>Refunds</h2>
    ${o.refunds.length ? html`<ul class="plain cards">${o.refunds.map((r) => html`<li class="panel">
      <strong>${money(r.totalRefunded)}</strong> · ${date(r.createdAt)}
      ${Number(r.shippingRefunded.amount) > 0 && html` · shipping ${money(r.shippingRefunded)}`}
      ${r.note && html` · ${r.note}`}
      <ul>${r.refundLineItems.map((x) => html`<li>${x.quantity} × ${lineName(x.lineItem)}${x.restockedQuantity
        ? `, ${x.restockedQuantity} restocked` : ''}</li>`)}</ul></li>`)}</ul>`
    : html`<p>No refund.</p>`}

    ${notice && html`<p class="ok notice" role="status">${notice}</p>`}
    ${manage && html`<${Actions} order=${o} onDone=${acted} />`}

    <h2 id="timeline-title">Timeline</h2>
    <ol class="timeline" aria-labelledby="timeline-title">${o.events.nodes.map((e) => html`<li>
      <time datetime=${e.createdAt}>${date(e.createdAt)}</time>
      <strong>${EVENT_TITLES[e.kind] || e.kind}</strong>${e.message && html` — ${e.message}`}${actor(e.actorId)}</li>`)}</ol>`;
}
