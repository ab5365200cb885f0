// The sections of a product's page below its fields: variants with the bulk edit of price and stock,
// images (uploaded through the Admin API's staged uploads), collections, and archiving.
import { html, money } from '../lib.js';
import { useEffect, useRef, useState } from '../vendor/hooks.module.js';
import { Problems, run } from './product_editor.js';

const priceIn = (v, currency) => (v.prices.find((p) => p.price.currencyCode === currency) || {}).price;

// Variants lists a product's variants with their price in every currency and their stock; staff who
// may change products select some and set their prices and stock in one action.
export function Variants({ product, settings, manage, onSaved }) {
  const [selected, setSelected] = useState([]);
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const variants = product.variants.nodes;
  const currencies = [settings.currency, ...settings.others];
  const all = variants.length > 0 && selected.length === variants.length;
  const toggle = (id, on) => setSelected(on ? [...selected, id] : selected.filter((x) => x !== id));
  const [deleting, setDeleting] = useState(false);
  const confirmDelete = useRef(null);
  useEffect(() => { if (deleting && confirmDelete.current) confirmDelete.current.focus(); }, [deleting]);

  async function remove() {
    setResult(null);
    setBusy(true);
    const n = selected.length;
    const p = await run(`mutation($p: ID!, $v: [ID!]!) { productVariantsBulkDelete(productId: $p, variantsIds: $v) {
      userErrors { field message } } }`, { p: product.id, v: selected }, 'productVariantsBulkDelete');
    setBusy(false);
    setDeleting(false);
    if (!p || p.userErrors.length) return setResult({ errors: p ? p.userErrors : [{ message: 'Not deleted.' }] });
    setResult({ ok: `Deleted ${n} variant${n === 1 ? '' : 's'}.` });
    setSelected([]);
    onSaved();
  }

  async function apply(e) {
    e.preventDefault();
    const form = e.target;
    const f = new FormData(form);
    const price = (c) => (f.get(`bulk-price-${c}`) || '').trim();
    const stock = (f.get('bulk-stock') || '').trim();
    const location = f.get('bulk-location');
    setResult(null);
    if (!selected.length) return setResult({ errors: [{ message: 'Select at least one variant.' }] });
    const compareAt = (f.get('bulk-compare-at') || '').trim();
    if (!currencies.some(price) && stock === '' && !compareAt) return setResult({ errors: [{ message: 'Enter a price or a stock to set.' }] });
    // Checked before anything is written: the prices and the stock are two mutations.
    if (stock !== '' && !(Number.isInteger(Number(stock)) && Number(stock) >= 0)) {
      return setResult({ errors: [{ field: ['stock'], message: 'Stock must be a whole number, 0 or more.' }] });
    }
    setBusy(true);
    try {
      if (currencies.some(price) || stock !== '' || compareAt) {
        const others = settings.others.filter(price).map((c) => ({ currencyCode: c, amount: price(c) }));
        const changes = selected.map((id) => {
          const v = { id };
          if (price(settings.currency)) v.price = price(settings.currency);
          if (compareAt) v.compareAtPrice = compareAt;
          if (others.length) v.prices = others;
          if (stock !== '') v.tracked = true; // a counted stock means the variant is tracked
          return v;
        });
        const p = await run(`mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
          productVariants { id } userErrors { field message } } }`, { p: product.id, v: changes }, 'productVariantsBulkUpdate');
        if (!p || p.userErrors.length) return setResult({ errors: p ? p.userErrors : [{ message: 'Not saved.' }] });
      }
      if (stock !== '') {
        const quantity = Number(stock);
        const p = await run(`mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) {
          userErrors { field message } } }`, { i: { reason: 'Bulk edit in the dashboard',
          quantities: selected.map((id) => ({ inventoryItemId: id, locationId: location, quantity })) } }, 'inventorySetQuantities');
        if (!p || p.userErrors.length) return setResult({ errors: p ? p.userErrors : [{ message: 'Stock not saved.' }] });
      }
      setResult({ ok: `Updated ${selected.length} variant${selected.length === 1 ? '' : 's'}.` });
      setSelected([]);
      form.reset();
      onSaved();
    } finally {
      setBusy(false);
    }
  }

  return html`<section aria-labelledby="variants-title"><h2 id="variants-title">Variants</h2>
    <div class="table-wrap" role="region" tabindex="0" aria-label="Variants table"><table>
      <thead><tr>
        ${manage && html`<th scope="col"><input type="checkbox" aria-label="Select all variants" checked=${all}
          onChange=${(e) => setSelected(e.target.checked ? variants.map((v) => v.id) : [])} /></th>`}
        <th scope="col">Variant</th><th scope="col">SKU</th>
        ${currencies.map((c) => html`<th scope="col" class="num">Price (${c})</th>`)}
        <th scope="col" class="num">Available</th></tr></thead>
      <tbody>${variants.map((v) => html`<tr>
        ${manage && html`<td><input type="checkbox" aria-label=${`Select ${v.title}`} checked=${selected.includes(v.id)}
          onChange=${(e) => toggle(v.id, e.target.checked)} /></td>`}
        <td>${v.title}</td><td>${v.sku}</td>
        ${currencies.map((c) => {
          const p = v.prices.find((x) => x.price.currencyCode === c);
          return html`<td class="num">${p ? money(p.price) : '—'}${p && p.compareAtPrice
            ? html` <s aria-label=${`was ${money(p.compareAtPrice)}`}>${money(p.compareAtPrice)}</s>` : ''}</td>`;
        })}
        <td class="num">${v.quantityAvailable ?? 'not tracked'}</td></tr>`)}</tbody>
    </table></div>
    ${manage && html`<form class="panel bulk" onSubmit=${apply} aria-labelledby="bulk-title">
      <h3 id="bulk-title">Bulk edit selected variants</h3>
      <p aria-live="polite">${selected.length} of ${variants.length} selected. Fields left empty are not changed.</p>
      <div class="fields">
        ${currencies.map((c) => html`<div><label for=${`bulk-price-${c}`}>New price (${c})</label>
          <input id=${`bulk-price-${c}`} name=${`bulk-price-${c}`} inputmode="decimal" placeholder=${priceHint(variants, c)} /></div>`)}
        <div><label for="bulk-compare-at">New compare-at price (${settings.currency})</label>
          <input id="bulk-compare-at" name="bulk-compare-at" inputmode="decimal" /></div>
        ${settings.locations.length > 0 && html`
          <div><label for="bulk-stock">New stock</label><input id="bulk-stock" name="bulk-stock" type="number" min="0" step="1" /></div>
          <div><label for="bulk-location">At location</label>
            <select id="bulk-location" name="bulk-location">${settings.locations.map((l) => html`<option value=${l.id}>${l.name}</option>`)}</select></div>`}
      </div>
      <p class="actions"><button type="submit" disabled=${busy || !selected.length}>Apply to selected</button>
        ${!deleting && html`<button type="button" class="danger" disabled=${busy || !selected.length}
          onClick=${() => setDeleting(true)}>Delete selected</button>`}</p>
      ${deleting && html`<div role="group" aria-labelledby="delete-question" class="confirm">
        <p id="delete-question">Delete ${selected.length} variant${selected.length === 1 ? '' : 's'}? Orders keep their lines.</p>
        <button type="button" class="danger" ref=${confirmDelete} onClick=${remove}>Yes, delete</button>
        <button type="button" class="secondary" onClick=${() => setDeleting(false)}>Cancel</button>
      </div>`}
      ${result && result.ok && html`<p class="ok" role="status">${result.ok}</p>`}
      ${result && html`<${Problems} errors=${result.errors} />`}
    </form>`}
    ${manage && html`<${AddVariant} product=${product} settings=${settings} onSaved=${onSaved} />`}
  </section>`;
}

// AddVariant adds one variant to a product with options (productVariantsBulkCreate); a new value of an
// option is added to the option.
function AddVariant({ product, settings, onSaved }) {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const options = product.options.filter((o) => !(o.name === 'Title' && o.values.length === 1 && o.values[0] === 'Default Title'));
  if (!options.length) return null;
  const currencies = [settings.currency, ...settings.others];

  async function add(e) {
    e.preventDefault();
    const form = e.target;
    const f = new FormData(form);
    const text = (n) => (f.get(n) || '').trim();
    setResult(null);
    const v = { optionValues: options.map((o, i) => ({ optionName: o.name, name: text(`nv-option-${i}`) })), sku: text('nv-sku') || null,
      price: text(`nv-price-${settings.currency}`) || null, tracked: true };
    const prices = settings.others.filter((c) => text(`nv-price-${c}`)).map((c) => ({ currencyCode: c, amount: text(`nv-price-${c}`) }));
    if (prices.length) v.prices = prices;
    if (settings.locations.length) v.inventoryQuantities = [{ locationId: f.get('nv-location'), availableQuantity: parseInt(text('nv-stock') || '0', 10) || 0 }];
    setBusy(true);
    const p = await run(`mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkCreate(productId: $p, variants: $v) {
      productVariants { id title } userErrors { field message } } }`, { p: product.id, v: [v] }, 'productVariantsBulkCreate');
    setBusy(false);
    if (!p || !p.productVariants) return setResult({ errors: p ? p.userErrors : [{ message: 'Not added.' }] });
    form.reset();
    setResult({ ok: `Added ${p.productVariants[0].title}.` });
    onSaved();
  }

  return html`<form class="panel bulk" onSubmit=${add} aria-labelledby="add-variant-title">
    <h3 id="add-variant-title">Add a variant</h3>
    <div class="fields">
      ${options.map((o, i) => html`<div><label for=${`nv-option-${i}`}>New variant's ${o.name}</label>
        <input id=${`nv-option-${i}`} name=${`nv-option-${i}`} required list=${`nv-values-${i}`} />
        <datalist id=${`nv-values-${i}`}>${o.values.map((v) => html`<option value=${v} />`)}</datalist></div>`)}
      <div><label for="nv-sku">New variant's SKU</label><input id="nv-sku" name="nv-sku" /></div>
      ${currencies.map((c) => html`<div><label for=${`nv-price-${c}`}>New variant's price (${c})</label>
        <input id=${`nv-price-${c}`} name=${`nv-price-${c}`} inputmode="decimal" /></div>`)}
      ${settings.locations.length > 0 && html`
        <div><label for="nv-stock">New variant's stock</label><input id="nv-stock" name="nv-stock" type="number" min="0" step="1" /></div>
        <div><label for="nv-location">New variant's location</label>
          <select id="nv-location" name="nv-location">${settings.locations.map((l) => html`<option value=${l.id}>${l.name}</option>`)}</select></div>`}
    </div>
    <p><button type="submit" disabled=${busy}>Add variant</button></p>
    ${result && result.ok && html`<p class="ok" role="status">${result.ok}</p>`}
    ${result && html`<${Problems} errors=${result.errors} />`}
  </form>`;
}

function priceHint(variants, currency) {
  const p = variants.map((v) => priceIn(v, currency)).find(Boolean);
  return p ? `e.g. ${p.amount}` : '';
}

// Images shows a product's pictures, changes their alt text (productUpdateMedia), deletes them, and
// uploads new ones: the file goes to a staged upload target (stagedUploadsCreate), then
// productCreateMedia attaches it, as Shopify's Admin API does.
export function Images({ product, onSaved }) {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const images = product.images.nodes;

  async function upload(e) {
    e.preventDefault();
    const form = e.target;
    const file = form.elements.file.files[0];
    const alt = form.elements.alt.value.trim();
    setResult(null);
    if (!file) return setResult({ errors: [{ message: 'Choose an image file.' }] });
    setBusy(true);
    try {
      const staged = await run(`mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) {
        stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }`,
      { i: [{ resource: 'PRODUCT_IMAGE', filename: file.name, mimeType: file.type, httpMethod: 'PUT', fileSize: String(file.size) }] },
      'stagedUploadsCreate');
      if (!staged || !staged.stagedTargets) return setResult({ errors: staged ? staged.userErrors : [{ message: 'No upload target.' }] });
      const target = staged.stagedTargets[0];
      const type = (target.parameters.find((p) => p.name === 'content_type') || {}).value || file.type;
      const put = await fetch(target.url, { method: 'PUT', headers: { 'Content-Type': type }, body: file });
      if (!put.ok) return setResult({ errors: [{ message: `The upload was refused (${put.status}).` }] });
      const made = await run(`mutation($p: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $p, media: $m) {
        product { id } userErrors { field message } } }`, { p: product.id, m: [{ originalSource: target.resourceUrl, alt }] }, 'productCreateMedia');
      if (!made || !made.product) return setResult({ errors: made ? made.userErrors : [{ message: 'Not attached.' }] });
      form.reset();
      setResult({ ok: `Uploaded ${file.name}.` });
      onSaved();
    } catch (err) {
      setResult({ errors: [{ message: err.message }] });
    } finally {
      setBusy(false);
    }
  }

  async function saveAlt(e, img, n) {
    e.preventDefault();
    setResult(null);
    const p = await run(`mutation($p: ID!, $m: [UpdateMediaInput!]!) { productUpdateMedia(productId: $p, media: $m) {
      media { id altText } userErrors { field message } } }`,
    { p: product.id, m: [{ id: img.id, alt: e.target.elements.alt.value }] }, 'productUpdateMedia');
    if (!p || p.userErrors.length) return setResult({ errors: p ? p.userErrors : [{ message: 'Not saved.' }] });
    setResult({ ok: `Updated the alt text of image ${n}.` });
    onSaved();
  }

  async function remove(img, n) {
    setResult(null);
    const p = await run(`mutation($p: ID!, $m: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $m) {
      deletedMediaIds userErrors { field message } } }`, { p: product.id, m: [img.id] }, 'productDeleteMedia');
    if (!p || p.userErrors.length) return setResult({ errors: p ? p.userErrors : [{ message: 'Not deleted.' }] });
    setResult({ ok: `Deleted image ${n}.` });
    onSaved();
  }

  return html`<section aria-labelledby="images-title"><h2 id="images-title">Images</h2>
    <div class="panel">
      ${images.length === 0 && html`<p>No images yet.</p>`}
      <ul class="thumbs">${images.map((img, i) => html`<li>
        <img src=${img.url} alt=${img.altText || ''} width="120" height="120" loading="lazy" />
        <form class="alt" onSubmit=${(e) => saveAlt(e, img, i + 1)}>
          <label for=${`alt-${i}`} class="skip">Alt text of image ${i + 1}</label>
          <input id=${`alt-${i}`} name="alt" maxlength="512" defaultValue=${img.altText || ''} placeholder="No alt text" />
          <button type="submit" class="secondary">Update alt text<span class="skip"> of image ${i + 1}</span></button>
        </form>
        <button type="button" class="secondary" onClick=${() => remove(img, i + 1)}
          aria-label=${`Delete image ${i + 1}${img.altText ? ` (${img.altText})` : ''}`}>Delete</button>
      </li>`)}</ul>
      <form onSubmit=${upload} aria-label="Upload an image" class="fields">
        <div><label for="image-file">Image file</label>
          <input id="image-file" name="file" type="file" accept="image/png,image/jpeg,image/gif,image/webp,image/svg+xml" /></div>
        <div><label for="image-alt">Alt text</label>
          <input id="image-alt" name="alt" maxlength="512" aria-describedby="image-alt-help" />
          <p class="help" id="image-alt-help">What the picture shows, for people who cannot see it.</p></div>
        <p class="wide"><button type="submit" disabled=${busy}>${busy ? 'Uploading…' : 'Upload image'}</button></p>
      </form>
      ${result && result.ok && html`<p class="ok" role="status">${result.ok}</p>`}
      ${result && html`<${Problems} errors=${result.errors} />`}
    </div></section>`;
}

// Collections picks the collections a product belongs to, among all the shop's (all).
export function Collections({ product, all, onSaved }) {
  const current = product.collections.nodes.map((c) => c.id);
  const [chosen, setChosen] = useState(current);
  const [result, setResult] = useState(null);
  useEffect(() => setChosen(current), [current.join()]);

  async function save(e) {
    e.preventDefault();
    setResult(null);
    const added = chosen.filter((id) => !current.includes(id));
    const removed = current.filter((id) => !chosen.includes(id));
    const errors = [];
    for (const id of added) {
      const p = await run(`mutation($c: ID!, $p: [ID!]!) { collectionAddProducts(id: $c, productIds: $p) { userErrors { field message } } }`,
        { c: id, p: [product.id] }, 'collectionAddProducts');
      errors.push(...(p ? p.userErrors : []));
    }
    for (const id of removed) {
      const p = await run(`mutation($c: ID!, $p: [ID!]!) { collectionRemoveProducts(id: $c, productIds: $p) { userErrors { field message } } }`,
        { c: id, p: [product.id] }, 'collectionRemoveProducts');
      errors.push(...(p ? p.userErrors : []));
    }
    setResult(errors.length ? { errors } : { ok: 'Collections updated.' });
    onSaved();
  }

  return html`<section aria-labelledby="collections-title"><h2 id="collections-title">Collections</h2>
    <form class="panel" onSubmit=${save} aria-labelledby="collections-title">
      <fieldset><legend>In these collections</legend>
        ${all.length === 0 && html`<p>The shop has no collections yet.</p>`}
        <div class="checks">${all.map((c) => html`<label class="check">
          <input type="checkbox" checked=${chosen.includes(c.id)}
            onChange=${(e) => setChosen(e.target.checked ? [...chosen, c.id] : chosen.filter((x) => x !== c.id))} />
          ${c.title}</label>`)}</div>
      </fieldset>
      <p><button type="submit">Update collections</button></p>
      ${result && result.ok && html`<p class="ok" role="status">${result.ok}</p>`}
      ${result && html`<${Problems} errors=${result.errors} />`}
    </form></section>`;
}

// Archive takes a product off the storefront after a confirmation, or brings an archived one back as
// a draft.
export function Archive({ product, onSaved }) {
  const [asking, setAsking] = useState(false);
  const [result, setResult] = useState(null);
  const confirm = useRef(null);
  useEffect(() => { if (asking && confirm.current) confirm.current.focus(); }, [asking]);

  async function setStatus(status) {
    setResult(null);
    const p = await run(`mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { product { id } userErrors { field message } } }`,
      { p: { id: product.id, status } }, 'productUpdate');
    setAsking(false);
    if (!p || !p.product) return setResult({ errors: p ? p.userErrors : [{ message: 'Not saved.' }] });
    setResult({ ok: status === 'ARCHIVED' ? 'Archived: the storefront no longer shows it.' : 'Restored as a draft.' });
    onSaved();
  }

  const archived = product.status === 'ARCHIVED';
  return html`<section aria-labelledby="archive-title"><h2 id="archive-title">${archived ? 'Restore' : 'Archive'}</h2>
    <div class="panel">
      ${archived
        ? html`<p>This product is archived.</p><button type="button" class="secondary" onClick=${() => setStatus('DRAFT')}>Restore as draft</button>`
        : !asking
          ? html`<button type="button" class="danger" onClick=${() => setAsking(true)}>Archive product</button>`
          : html`<div role="group" aria-labelledby="archive-question" class="confirm">
              <p id="archive-question">Archive ${product.title}? It disappears from the storefront; orders keep it.</p>
              <button type="button" class="danger" ref=${confirm} onClick=${() => setStatus('ARCHIVED')}>Yes, archive</button>
              <button type="button" class="secondary" onClick=${() => setAsking(false)}>Cancel</button>
            </div>`}
      ${result && result.ok && html`<p class="ok" role="status">${result.ok}</p>`}
      ${result && html`<${Problems} errors=${result.errors} />`}
    </div></section>`;
}
