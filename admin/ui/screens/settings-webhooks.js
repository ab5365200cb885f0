// Webhook subscriptions (MANAGE_WEBHOOKS): the list, a new subscription (its signing secret shown once),
// deletion, and each subscription's recent deliveries with a retry.
import { html, useQuery, date } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';
import { mutate, useAction, Notice, ConfirmButton } from './settings-kit.js';
import { Secret } from './settings-apikeys.js';

const TOPICS = ['ORDERS_CREATE', 'ORDERS_PAID', 'ORDERS_CANCELLED', 'ORDERS_FULFILLED', 'ORDERS_PARTIALLY_FULFILLED', 'ORDERS_UPDATED',
  'FULFILLMENTS_CREATE', 'FULFILLMENTS_UPDATE', 'REFUNDS_CREATE', 'PRODUCTS_CREATE', 'PRODUCTS_UPDATE', 'PRODUCTS_DELETE',
  'COLLECTIONS_CREATE', 'COLLECTIONS_UPDATE', 'COLLECTIONS_DELETE', 'CUSTOMERS_CREATE', 'CUSTOMERS_UPDATE', 'CUSTOMERS_DELETE',
  'DISCOUNTS_CREATE', 'DISCOUNTS_UPDATE', 'DISCOUNTS_DELETE', 'CARTS_CREATE', 'CARTS_UPDATE', 'INVENTORY_LEVELS_UPDATE',
  'ACCOUNTING_JOURNAL_ENTRY', 'DISPUTES_CREATE', 'DISPUTES_UPDATE', 'PAYOUTS_PAID', 'PAYOUTS_FAILED'];
// Shopify's names: ORDERS_CREATE is orders/create.
const topicName = (t) => t.toLowerCase().replace(/_/, '/');

const SUBSCRIPTIONS = `{ webhookSubscriptions(first: 100) { nodes { id topic callbackUrl status apiVersion createdAt } } }`;

export function Webhooks() {
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState(null);
  const [secret, setSecret] = useState(null);
  const { data, error, loading } = useQuery(SUBSCRIPTIONS, {}, [version]);
  const list = useAction();
  const create = useAction();
  const reload = () => setVersion(version + 1);
  async function remove(s) {
    if (await list.act(() => mutate(`mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`,
      { id: s.id }, 'webhookSubscriptionDelete'), `Deleted the ${topicName(s.topic)} subscription.`)) reload();
  }
  async function add(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    setSecret(null);
    const p = await create.act(() => mutate(`mutation($t: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) {
      webhookSubscriptionCreate(topic: $t, webhookSubscription: $s) { webhookSubscription { id } secret userErrors { field message } } }`,
    { t: f.get('topic'), s: { callbackUrl: String(f.get('url')).trim() } }, 'webhookSubscriptionCreate'), 'Subscription created.');
    if (p) {
      setSecret(p.secret);
      e.target.reset();
      reload();
    }
  }
  const subs = data && data.webhookSubscriptions.nodes;
  // A deleted subscription closes its deliveries.
  const openSub = subs && subs.find((s) => s.id === open);
  return html`<h1>Webhooks</h1>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <${Notice} note=${list.note} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="Webhook subscriptions table" aria-busy=${loading ? 'true' : 'false'}>
      <table><caption class="skip">Webhook subscriptions</caption>
        <thead><tr><th scope="col">Topic</th><th scope="col">Callback URL</th><th scope="col">Status</th><th scope="col">Created</th>
          <th scope="col"><span class="skip">Actions</span></th></tr></thead>
        <tbody>${subs && subs.map((s) => html`<tr>
          <td>${topicName(s.topic)}</td><td class="wrap">${s.callbackUrl}</td><td><span class=${`badge ${s.status}`}>${s.status}</span></td>
          <td>${date(s.createdAt)}</td>
          <td class="actions"><button type="button" class="secondary" aria-expanded=${open === s.id ? 'true' : 'false'}
              aria-label=${`Deliveries of ${topicName(s.topic)} to ${s.callbackUrl}`} onClick=${() => setOpen(open === s.id ? null : s.id)}>Deliveries</button>
            <${ConfirmButton} label="Delete" name=${`Delete ${topicName(s.topic)} to ${s.callbackUrl}`}
              question=${`Stop sending ${topicName(s.topic)} to ${s.callbackUrl}?`} onConfirm=${() => remove(s)} /></td></tr>`)}</tbody>
      </table>
    </div>
    ${subs && subs.length === 0 && html`<p>No subscription yet.</p>`}
    ${openSub && html`<${Deliveries} key=${open} subscription=${openSub} />`}
    <h2 id="webhook-form">New subscription</h2>
    <form class="panel" aria-labelledby="webhook-form" onSubmit=${add}>
      <div class="row">
        <div><label for="webhook-topic">Topic</label><select id="webhook-topic" name="topic">
          ${TOPICS.map((t) => html`<option value=${t}>${topicName(t)}</option>`)}</select></div>
        <div><label for="webhook-url">Callback URL</label><input id="webhook-url" name="url" type="url" required placeholder="https://example.com/hooks" /></div>
      </div>
      <p><button type="submit" disabled=${create.busy}>Create subscription</button></p>
      <${Notice} note=${create.note} />
      ${secret && html`<${Secret} label="Signing secret" secret=${secret}
        about="Deliveries are signed with this secret (X-Emporium-Hmac-Sha256). Copy it now: it is not shown again." />`}
    </form>`;
}

const DELIVERIES = `query($id: ID!) { webhookDeliveries(subscriptionId: $id, first: 20) { nodes {
  id status attempts responseCode latencyMs error createdAt lastAttemptAt nextAttemptAt } } }`;

function Deliveries({ subscription }) {
  const [version, setVersion] = useState(0);
  const { data, error, loading } = useQuery(DELIVERIES, { id: subscription.id }, [subscription.id, version]);
  const action = useAction();
  async function retry(d) {
    if (await action.act(() => mutate(`mutation($id: ID!) { webhookDeliveryRetry(id: $id) { webhookDelivery { id status } userErrors { field message } } }`,
      { id: d.id }, 'webhookDeliveryRetry'), 'Delivery sent again.')) setVersion(version + 1);
  }
  const rows = data && data.webhookDeliveries.nodes;
  return html`<section class="panel" aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Recent deliveries: ${topicName(subscription.topic)} to ${subscription.callbackUrl}</h2>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <${Notice} note=${action.note} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="Deliveries table" aria-busy=${loading ? 'true' : 'false'}><table>
      <thead><tr><th scope="col">Created</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col" class="num">Response</th>
        <th scope="col" class="num">Latency</th><th scope="col">Error</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
      <tbody>${rows && rows.map((d) => html`<tr><td>${date(d.createdAt)}</td><td><span class=${`badge ${d.status}`}>${d.status}</span></td>
        <td class="num">${d.attempts}</td><td class="num">${d.responseCode ?? '—'}</td><td class="num">${d.latencyMs != null ? `${d.latencyMs} ms` : '—'}</td>
        <td class="wrap">${d.error || ''}</td>
        <td><button type="button" class="secondary" disabled=${action.busy} onClick=${() => retry(d)}>Retry</button></td></tr>`)}</tbody>
    </table></div>
    ${rows && rows.length === 0 && html`<p>No delivery yet: one is made when the topic's event happens.</p>`}
  </section>`;
}
