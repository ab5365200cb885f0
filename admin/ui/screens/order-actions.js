// What staff with MANAGE_ORDERS do to an order, each through its Admin API mutation: mark as paid (the
// manual method), fulfil (chosen units, tracking), refund (units per line with restock, shipping),
// cancel (with refund and restock), and the staff note. A refusal shows the payload's userErrors and
// changes nothing; a success says so and reloads the order.
import { html, gql } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';

const ERRORS = 'userErrors { field message code }';

// useAction runs one mutation at a time and keeps its outcome for the form's status line; run tells
// whether it succeeded.
function useAction(onDone) {
  const [state, setState] = useState({ busy: false, error: null, done: null });
  async function run(query, variables, field, doneText) {
    setState({ busy: true, error: null, done: null });
    try {
      const payload = (await gql(query, variables))[field];
      const errs = (payload && payload.userErrors) || [];
      if (errs.length) {
        setState({ busy: false, error: errs.map((u) => u.message).join(' '), done: null });
        return false;
      }
      setState({ busy: false, error: null, done: doneText });
      onDone(doneText);
      return true;
    } catch (err) {
      setState({ busy: false, error: err.message, done: null });
      return false;
    }
  }
  const fail = (message) => setState({ busy: false, error: message, done: null });
  return { ...state, run, fail };
}

// Outcome shows a refusal beside its form; a success is shown by the order (see Order's notice), since
// the form may be gone once the order reloads (a cancelled order has no cancel form).
function Outcome({ action, showDone }) {
  if (action.error) return html`<p class="error" role="alert">${action.error}</p>`;
  if (action.done && showDone) return html`<p class="ok" role="status">${action.done}</p>`;
  return null;
}

const lineName = (l) => (l.variantTitle ? `${l.title} — ${l.variantTitle}` : l.title);
const positive = (v) => Math.max(0, parseInt(v, 10) || 0);

export function NoteEditor({ order, onDone }) {
  const action = useAction(onDone);
  function save(e) {
    e.preventDefault();
    const note = new FormData(e.target).get('note');
    action.run(`mutation($i: OrderInput!) { orderUpdate(input: $i) { order { id } ${ERRORS} } }`,
      { i: { id: order.id, note } }, 'orderUpdate', 'Note saved.');
  }
  return html`<form onSubmit=${save} aria-labelledby="note-title">
    <label for="order-note">Staff note</label>
    <textarea id="order-note" name="note" rows="3" maxlength="5000" value=${order.note || ''} />
    <p><button type="submit" disabled=${action.busy}>Save note</button></p>
    <${Outcome} action=${action} showDone=${true} />
  </form>`;
}

export function Actions({ order, onDone }) {
  const cancelled = !!order.canceledAt;
  const payable = !cancelled && (order.financialStatus === 'PENDING' || order.financialStatus === 'AUTHORIZED');
  const shippable = !cancelled && order.lineItems.nodes.some((l) => l.fulfillableQuantity > 0);
  const refundable = order.lineItems.nodes.some((l) => l.refundableQuantity > 0) || Number(order.currentTotalPrice.amount) > 0;
  if (!payable && !shippable && !refundable && cancelled) return null;
  return html`<h2>Actions</h2>
    <div class="actions">
      ${payable && html`<${MarkPaid} order=${order} onDone=${onDone} />`}
      ${shippable && html`<${Fulfil} order=${order} onDone=${onDone} />`}
      ${refundable && html`<${Refund} order=${order} onDone=${onDone} />`}
      ${!cancelled && html`<${Cancel} order=${order} onDone=${onDone} />`}
    </div>`;
}

function MarkPaid({ order, onDone }) {
  const action = useAction(onDone);
  return html`<section class="panel" aria-labelledby="pay-title"><h3 id="pay-title">Payment</h3>
    <p>Record the payment received by bank transfer or cash (or capture the authorized amount).</p>
    <button type="button" disabled=${action.busy} onClick=${() => action.run(
      `mutation($i: OrderMarkAsPaidInput!) { orderMarkAsPaid(input: $i) { order { id } ${ERRORS} } }`,
      { i: { id: order.id } }, 'orderMarkAsPaid', 'Marked as paid.')}>Mark as paid</button>
    <${Outcome} action=${action} />
  </section>`;
}

function Fulfil({ order, onDone }) {
  const action = useAction(onDone);
  const lines = order.lineItems.nodes.filter((l) => l.fulfillableQuantity > 0);
  function submit(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    const lineItems = lines.map((l) => ({ id: l.id, quantity: positive(form.get(`ship-${l.id}`)) })).filter((l) => l.quantity > 0);
    if (!lineItems.length) {
      action.fail('Choose at least one unit to ship.');
      return;
    }
    const tracking = { company: form.get('company').trim() || null, number: form.get('number').trim() || null, url: form.get('url').trim() || null };
    const trackingInfo = tracking.company || tracking.number || tracking.url ? tracking : null;
    const target = e.target;
    action.run(`mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } ${ERRORS} } }`,
      { f: { orderId: order.id, lineItems, trackingInfo } }, 'fulfillmentCreate', 'Fulfilment created.')
      .then((ok) => ok && target.reset()); // the reloaded order fills the quantities in again
  }
  return html`<details class="panel action"><summary>Fulfil items</summary>
    <form onSubmit=${submit} aria-label="Fulfil items">
      <fieldset><legend>Units to ship</legend>
        ${lines.map((l) => html`<label for=${`ship-${l.id}`}>Ship ${lineName(l)} (of ${l.fulfillableQuantity})</label>
          <input id=${`ship-${l.id}`} name=${`ship-${l.id}`} type="number" min="0" max=${l.fulfillableQuantity}
            value=${l.fulfillableQuantity} inputmode="numeric" />`)}
      </fieldset>
      <fieldset><legend>Tracking</legend>
        <label for="tracking-company">Tracking company</label><input id="tracking-company" name="company" maxlength="255" />
        <label for="tracking-number">Tracking number</label><input id="tracking-number" name="number" maxlength="255" />
        <label for="tracking-url">Tracking URL</label><input id="tracking-url" name="url" type="url" placeholder="https://" />
      </fieldset>
      <p><button type="submit" disabled=${action.busy}>Create fulfilment</button></p>
      <${Outcome} action=${action} />
    </form></details>`;
}

function Refund({ order, onDone }) {
  const action = useAction(onDone);
  const lines = order.lineItems.nodes.filter((l) => l.refundableQuantity > 0);
  function submit(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    const refundLineItems = lines.map((l) => ({
      lineItemId: l.id,
      quantity: positive(form.get(`refund-${l.id}`)),
      restockType: form.get(`restock-${l.id}`) ? 'RETURN' : 'NO_RESTOCK',
    })).filter((l) => l.quantity > 0);
    const amount = form.get('shipping').trim();
    const shipping = form.get('fullShipping') ? { fullRefund: true } : amount ? { amount } : null;
    const input = { orderId: order.id, refundLineItems, shipping, note: form.get('note').trim() || null };
    const target = e.target;
    action.run(`mutation($i: RefundInput!) { refundCreate(input: $i) { refund { id totalRefunded { amount currencyCode } } ${ERRORS} } }`,
      { i: input }, 'refundCreate', 'Refund created.').then((ok) => ok && target.reset());
  }
  return html`<details class="panel action"><summary>Refund items</summary>
    <form onSubmit=${submit} aria-label="Refund items">
      <fieldset><legend>Units to refund</legend>
        ${lines.map((l) => html`<div class="refund-line">
          <label for=${`refund-${l.id}`}>Refund ${lineName(l)} (of ${l.refundableQuantity})</label>
          <input id=${`refund-${l.id}`} name=${`refund-${l.id}`} type="number" min="0" max=${l.refundableQuantity} value="0" inputmode="numeric" />
          <label class="check"><input type="checkbox" name=${`restock-${l.id}`} checked /> Restock ${lineName(l)}</label></div>`)}
      </fieldset>
      <fieldset><legend>Shipping</legend>
        <label class="check"><input type="checkbox" name="fullShipping" /> Refund all the shipping</label>
        <label for="refund-shipping">Shipping amount to refund (${order.currencyCode})</label>
        <input id="refund-shipping" name="shipping" inputmode="decimal" pattern="[0-9]+([.][0-9]{1,3})?" placeholder="0.00" />
      </fieldset>
      <label for="refund-note">Refund reason</label><input id="refund-note" name="note" maxlength="1000" />
      <p><button type="submit" disabled=${action.busy}>Create refund</button></p>
      <${Outcome} action=${action} />
    </form></details>`;
}

const REASONS = [['CUSTOMER', 'The customer asked'], ['INVENTORY', 'Out of stock'], ['FRAUD', 'Fraud'],
  ['DECLINED', 'Payment declined'], ['STAFF', 'Staff error'], ['OTHER', 'Other']];

function Cancel({ order, onDone }) {
  const action = useAction(onDone);
  function submit(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    action.run(`mutation($id: ID!, $reason: OrderCancelReason!, $refund: Boolean!, $restock: Boolean!, $note: String) {
      orderCancel(orderId: $id, reason: $reason, refund: $refund, restock: $restock, staffNote: $note) { order { id } ${ERRORS} } }`,
    { id: order.id, reason: form.get('reason'), refund: !!form.get('refund'), restock: !!form.get('restock'), note: form.get('note').trim() || null },
    'orderCancel', 'Order cancelled.');
  }
  return html`<details class="panel action"><summary>Cancel order</summary>
    <form onSubmit=${submit} aria-label="Cancel order">
      <label for="cancel-reason">Cancellation reason</label>
      <select id="cancel-reason" name="reason">${REASONS.map(([v, t]) => html`<option value=${v}>${t}</option>`)}</select>
      <label class="check"><input type="checkbox" name="refund" checked /> Refund the payment</label>
      <label class="check"><input type="checkbox" name="restock" checked /> Restock the items</label>
      <label for="cancel-note">Note on the cancellation</label><input id="cancel-note" name="note" maxlength="1000" />
      <p><button type="submit" class="danger" disabled=${action.busy}>Confirm cancellation</button></p>
      <${Outcome} action=${action} />
    </form></details>`;
}
