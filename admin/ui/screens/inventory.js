// Inventory: stock levels per variant and location with search by SKU or title; a variant's levels,
// its adjustments (a difference or a new quantity, always with a reason) and their history.
import { html, gql, date, useQuery, useListState, SearchBox, Pager, can, userErrorsOf, Failure } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';

const LEVELS = `query($q: String, $after: String) { inventoryLevels(first: 50, after: $after, query: $q) {
  nodes { id available lowStockThreshold variant { id title sku product { title } } location { id name } }
  pageInfo { hasNextPage endCursor } } }`;

export function Inventory() {
  const list = useListState();
  const { data, error, loading } = useQuery(LEVELS, { q: list.query || null, after: list.after }, [list.query, list.after]);
  const levels = data ? data.inventoryLevels : null;
  return html`<h1>Inventory</h1>
    <${SearchBox} id="inventory-search" label="Search by SKU or product title" onSearch=${list.search} />
    <${Failure} error=${error} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="Stock levels" aria-busy=${loading ? 'true' : 'false'}>
      <table>
        <caption class="skip">Stock levels</caption>
        <thead><tr><th scope="col">Variant</th><th scope="col">SKU</th><th scope="col">Location</th>
          <th scope="col" class="num">Available</th><th scope="col" class="num">Low at</th></tr></thead>
        <tbody>${levels && levels.nodes.map((l) => html`<tr>
          <td><a href=${`#/inventory/${encodeURIComponent(l.variant.id)}`}>${l.variant.product.title} · ${l.variant.title}</a></td>
          <td>${l.variant.sku || '—'}</td><td>${l.location.name}</td>
          <td class="num">${l.available}</td><td class="num">${l.lowStockThreshold ?? '—'}</td></tr>`)}</tbody>
      </table>
    </div>
    ${levels && levels.nodes.length === 0 && html`<p>No stock level matches.</p>`}
    <${Pager} pageInfo=${levels && levels.pageInfo} first=${!list.after}
      onFirst=${() => list.setAfter(null)} onNext=${() => list.setAfter(levels.pageInfo.endCursor)} />`;
}

const VARIANT = `query($id: ID!) {
  node(id: $id) { ... on ProductVariant { id title sku product { id title } } }
  inventoryLevels(first: 50, variantId: $id) { nodes { id available lowStockThreshold location { id name } } }
  inventoryAdjustments(variantId: $id, first: 25) { nodes { id delta quantityAfter reason actor createdAt location { name } } } }`;

export function InventoryVariant({ me, id }) {
  const [version, setVersion] = useState(0);
  const { data, error } = useQuery(VARIANT, { id }, [id, version]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<p aria-busy="true">Loading…</p>`;
  const v = data.node;
  if (!v) return html`<h1>Variant not found</h1>`;
  const levels = data.inventoryLevels.nodes;
  return html`<p><a href="#/inventory">← Inventory</a></p>
    <h1>${v.product.title} · ${v.title}</h1>
    <p>SKU ${v.sku || '—'} · <a href=${`#/products/${encodeURIComponent(v.product.id)}`}>Product</a></p>
    <h2 id="levels-title">Stock by location</h2>
    <div class="table-wrap" role="region" tabindex="0" aria-labelledby="levels-title">
      <table>
        <thead><tr><th scope="col">Location</th><th scope="col" class="num">Available</th><th scope="col" class="num">Low at</th></tr></thead>
        <tbody>${levels.map((l) => html`<tr><td>${l.location.name}</td><td class="num">${l.available}</td>
          <td class="num">${l.lowStockThreshold ?? '—'}</td></tr>`)}</tbody>
      </table>
    </div>
    ${can(me, 'MANAGE_INVENTORY') && levels.length > 0 && html`<${Adjust} variantId=${v.id} levels=${levels} onSaved=${() => setVersion(version + 1)} />
      <${Threshold} variantId=${v.id} levels=${levels} onSaved=${() => setVersion(version + 1)} />`}
    <h2 id="history-title">History</h2>
    ${data.inventoryAdjustments.nodes.length === 0 ? html`<p>No change yet.</p>` : html`
    <div class="table-wrap" role="region" tabindex="0" aria-labelledby="history-title">
      <table>
        <thead><tr><th scope="col">When</th><th scope="col">Location</th><th scope="col" class="num">Change</th>
          <th scope="col" class="num">After</th><th scope="col">Reason</th><th scope="col">By</th></tr></thead>
        <tbody>${data.inventoryAdjustments.nodes.map((a) => html`<tr><td>${date(a.createdAt)}</td><td>${a.location.name}</td>
          <td class="num">${a.delta > 0 ? `+${a.delta}` : a.delta}</td><td class="num">${a.quantityAfter}</td>
          <td>${a.reason}</td><td>${a.actor}</td></tr>`)}</tbody>
      </table>
    </div>`}`;
}

// Adjust changes one level: by a difference (inventoryAdjustQuantities) or to a count (inventorySetQuantities).
function Adjust({ variantId, levels, onSaved }) {
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  async function save(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    const amount = Number(form.get('amount'));
    const location = form.get('location');
    const reason = form.get('reason');
    setBusy(true);
    setMessage(null);
    try {
      if (form.get('mode') === 'set') {
        const d = await gql(`mutation($in: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $in) {
          adjustments { quantityAfter } userErrors { field message } } }`,
        { in: { reason, quantities: [{ inventoryItemId: variantId, locationId: location, quantity: amount }] } });
        userErrorsOf(d.inventorySetQuantities);
      } else {
        const d = await gql(`mutation($in: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $in) {
          adjustments { quantityAfter } userErrors { field message } } }`,
        { in: { reason, changes: [{ inventoryItemId: variantId, locationId: location, delta: amount }] } });
        userErrorsOf(d.inventoryAdjustQuantities);
      }
      e.target.reset();
      setMessage({ ok: true, text: 'Stock saved.' });
      onSaved();
    } catch (err) {
      setMessage({ ok: false, text: err.message });
    } finally {
      setBusy(false);
    }
  }
  return html`<h2 id="adjust-title">Adjust stock</h2>
    <form class="panel form-grid" aria-labelledby="adjust-title" onSubmit=${save}>
      <div><label for="adj-location">Location</label>
        <select id="adj-location" name="location">${levels.map((l) => html`<option value=${l.location.id}>${l.location.name}</option>`)}</select></div>
      <div><label for="adj-mode">Change</label>
        <select id="adj-mode" name="mode"><option value="adjust">Add or remove (±)</option><option value="set">Set to</option></select></div>
      <div><label for="adj-amount">Quantity</label><input id="adj-amount" name="amount" type="number" step="1" required /></div>
      <div><label for="adj-reason">Reason</label><input id="adj-reason" name="reason" required maxlength="255" placeholder="e.g. recount, damaged" /></div>
      <p><button type="submit" disabled=${busy}>Save stock</button></p>
      ${message && html`<p class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</p>`}
    </form>`;
}

// Threshold sets (or, empty, removes) a level's low stock threshold: staff are emailed when stock falls to it.
function Threshold({ variantId, levels, onSaved }) {
  const [message, setMessage] = useState(null);
  async function save(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    const raw = String(form.get('threshold')).trim();
    setMessage(null);
    try {
      const d = await gql(`mutation($in: InventoryLowStockThresholdInput!) { inventoryLowStockThresholdSet(input: $in) {
        inventoryLevel { lowStockThreshold } userErrors { field message } } }`,
      { in: { inventoryItemId: variantId, locationId: form.get('location'), lowStockThreshold: raw === '' ? null : Number(raw) } });
      userErrorsOf(d.inventoryLowStockThresholdSet);
      setMessage({ ok: true, text: raw === '' ? 'Low stock alert removed.' : 'Low stock alert saved.' });
      onSaved();
    } catch (err) {
      setMessage({ ok: false, text: err.message });
    }
  }
  return html`<h2 id="threshold-title">Low stock alert</h2>
    <form class="panel form-grid" aria-labelledby="threshold-title" onSubmit=${save}>
      <div><label for="thr-location">Alert location</label>
        <select id="thr-location" name="location">${levels.map((l) => html`<option value=${l.location.id}>${l.location.name}</option>`)}</select></div>
      <div><label for="thr-value">Alert at or below (empty: never)</label><input id="thr-value" name="threshold" type="number" min="0" step="1" /></div>
      <p><button type="submit" class="secondary">Save alert</button></p>
      ${message && html`<p class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</p>`}
    </form>`;
}
