// The product editor's parts: the product's own fields (shared by create and edit), the options and
// variants builder of a new product, and the list of userErrors a save answers. Every save goes through
// the Admin API's product mutations; the server validates, and its userErrors are shown by field.
import { html, gql, can, Failure } from '../lib.js';
import { useEffect, useRef, useState } from '../vendor/hooks.module.js';

// The page a product's save lands on reads this once: a note that outlives the route change.
let flash = null;
export function takeFlash() {
  const f = flash;
  flash = null;
  return f;
}

// Problems lists userErrors by field, in an alert so that screen readers announce it.
// variants, when given, names the variant of a field such as variants.2.price.
export function Problems({ errors, title = 'Not saved', variants }) {
  if (!errors || !errors.length) return null;
  return html`<div class="problems" role="alert">
    <p class="error">${title}:</p>
    <ul>${errors.map((e) => html`<li>${fieldName(e.field, variants)}${e.message}</li>`)}</ul>
  </div>`;
}

function fieldName(field, variants) {
  if (!field || !field.length) return '';
  const path = field.filter((f) => f !== 'product' && f !== 'input');
  if (variants && path[0] === 'variants' && variants[Number(path[1])]) path.splice(0, 2, `variant ${variants[Number(path[1])]}`);
  return path.length ? `${path.join(' › ')}: ` : '';
}

// run calls one mutation and returns its payload, turning a thrown error into a userError-like entry.
export async function run(query, variables, name) {
  try {
    const d = await gql(query, variables);
    return d[name];
  } catch (err) {
    return { userErrors: [{ field: null, message: err.message }] };
  }
}

const orNull = (v) => {
  const s = (v ?? '').toString().trim();
  return s === '' ? null : s;
};
export const splitList = (s) => (s || '').split(',').map((x) => x.trim()).filter(Boolean);

// ProductFields are the inputs of a product's own data; the form reads them with fieldsFrom.
export function ProductFields({ product = {}, prefix = '' }) {
  const id = (n) => `${prefix}${n}`;
  const seo = product.seo || {};
  return html`<div class="fields">
    <div class="wide"><label for=${id('title')}>Title</label>
      <input id=${id('title')} name="title" required maxlength="255" defaultValue=${product.title || ''} /></div>
    <div class="wide"><label for=${id('description')}>Description</label>
      <textarea id=${id('description')} name="descriptionHtml" rows="4" aria-describedby=${id('description-help')}
        defaultValue=${product.descriptionHtml || ''}></textarea>
      <p class="help" id=${id('description-help')}>HTML is allowed (paragraphs, lists, emphasis, links).</p></div>
    <div><label for=${id('handle')}>Handle</label>
      <input id=${id('handle')} name="handle" maxlength="255" defaultValue=${product.handle || ''} aria-describedby=${id('handle-help')} />
      <p class="help" id=${id('handle-help')}>The product's address on the storefront; made from the title when empty.</p></div>
    <div><label for=${id('status')}>Status</label>
      <select id=${id('status')} name="status">
        ${[['ACTIVE', 'Active'], ['DRAFT', 'Draft'], ['ARCHIVED', 'Archived']].map(([v, label]) => html`
          <option value=${v} selected=${(product.status || 'DRAFT') === v}>${label}</option>`)}
      </select></div>
    <div><label for=${id('vendor')}>Vendor</label><input id=${id('vendor')} name="vendor" defaultValue=${product.vendor || ''} /></div>
    <div><label for=${id('type')}>Product type</label><input id=${id('type')} name="productType" defaultValue=${product.productType || ''} /></div>
    <div class="wide"><label for=${id('tags')}>Tags</label>
      <input id=${id('tags')} name="tags" defaultValue=${(product.tags || []).join(', ')} aria-describedby=${id('tags-help')} />
      <p class="help" id=${id('tags-help')}>Separated by commas.</p></div>
    <fieldset class="wide"><legend>Search engine listing</legend>
      <label for=${id('seo-title')}>SEO title</label>
      <input id=${id('seo-title')} name="seoTitle" maxlength="255" defaultValue=${seo.title || ''} />
      <label for=${id('seo-description')}>SEO description</label>
      <textarea id=${id('seo-description')} name="seoDescription" rows="2" defaultValue=${seo.description || ''}></textarea>
    </fieldset>
  </div>`;
}

// fieldsFrom reads ProductFields' inputs from a form as a ProductCreateInput/ProductUpdateInput.
export function fieldsFrom(form, creating) {
  const f = new FormData(form);
  const p = {
    title: f.get('title'),
    descriptionHtml: f.get('descriptionHtml') || '',
    vendor: f.get('vendor') || '',
    productType: f.get('productType') || '',
    tags: splitList(f.get('tags')),
    status: f.get('status'),
    seo: { title: orNull(f.get('seoTitle')), description: orNull(f.get('seoDescription')) },
  };
  const handle = orNull(f.get('handle'));
  if (handle || !creating) p.handle = handle || undefined;
  return p;
}

// useSettings reads the currencies the shop prices in and its stock locations (none for staff who may
// not read inventory: the editor then leaves stock alone).
export function useSettings(me) {
  const [s, setS] = useState(null);
  useEffect(() => {
    let live = true;
    gql(`query($inventory: Boolean!) { shop { paymentSettings { currencyCode enabledPresentmentCurrencies } }
      locations(first: 50) @include(if: $inventory) { nodes { id name isActive } } }`, { inventory: can(me, 'READ_INVENTORY') })
      .then((d) => live && setS(settingsOf(d)), (error) => live && setS({ error }));
    return () => { live = false; };
  }, []);
  return s;
}

// settingsOf reads an answer holding shop { paymentSettings } and, when the staff may see them,
// locations: the currencies to price in and the places stock is kept.
export function settingsOf(d) {
  const pay = d.shop.paymentSettings;
  return {
    currency: pay.currencyCode,
    others: pay.enabledPresentmentCurrencies.filter((c) => c !== pay.currencyCode),
    locations: d.locations ? d.locations.nodes.filter((x) => x.isActive) : [],
  };
}

// combinations is every choice of one value per option: the variants of a new product.
function combinations(options) {
  const used = options.filter((o) => o.name.trim() && splitList(o.values).length);
  let rows = [[]];
  for (const o of used) {
    const next = [];
    for (const r of rows) for (const v of splitList(o.values)) next.push([...r, { optionName: o.name.trim(), name: v }]);
    rows = next;
  }
  return rows.map((sel) => ({ key: sel.map((s) => s.name).join(' / ') || 'Default', selected: sel }));
}

// NewProduct is #/products/new: the product's fields, its options and one row per variant.
export function NewProduct({ me }) {
  const settings = useSettings(me);
  const [options, setOptions] = useState([{ name: 'Size', values: '' }]);
  const [rows, setRows] = useState({});
  const [errors, setErrors] = useState(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef(null);
  useEffect(() => heading.current && heading.current.focus(), []);

  if (!settings) return html`<h1>New product</h1><p aria-busy="true">Loading…</p>`;
  if (settings.error) return html`<h1>New product</h1><${Failure} error=${settings.error} />`;
  const variants = combinations(options);
  const row = (key) => rows[key] || { tracked: true, stock: '0' };
  const setRow = (key, change) => setRows({ ...rows, [key]: { ...row(key), ...change } });
  const setOption = (i, change) => setOptions(options.map((o, j) => (i === j ? { ...o, ...change } : o)));
  const stockAt = settings.locations[0];

  async function submit(e) {
    e.preventDefault();
    setErrors(null);
    const product = fieldsFrom(e.target, true);
    const opts = options.filter((o) => o.name.trim() && splitList(o.values).length);
    if (opts.length) product.productOptions = opts.map((o) => ({ name: o.name.trim(), values: splitList(o.values).map((name) => ({ name })) }));
    const stockLocation = new FormData(e.target).get('stockLocation');
    product.variants = variants.map((v) => {
      const r = row(v.key);
      const out = { price: orNull(r.price), compareAtPrice: orNull(r.compareAt), sku: orNull(r.sku), tracked: !!r.tracked };
      if (v.selected.length) out.optionValues = v.selected;
      const prices = settings.others.filter((c) => orNull(r[`price_${c}`])).map((c) => ({ currencyCode: c, amount: orNull(r[`price_${c}`]) }));
      if (prices.length) out.prices = prices;
      if (r.tracked && stockLocation) out.inventoryQuantities = [{ locationId: stockLocation, availableQuantity: parseInt(r.stock || '0', 10) || 0 }];
      return out;
    });
    setBusy(true);
    const p = await run(`mutation($p: ProductCreateInput!) { productCreate(product: $p) { product { id title }
      userErrors { field message } } }`, { p: product }, 'productCreate');
    setBusy(false);
    if (!p || !p.product) {
      setErrors(p ? p.userErrors : [{ message: 'The product was not created.' }]);
      return;
    }
    flash = `Created ${p.product.title}.`;
    location.hash = `#/products/${encodeURIComponent(p.product.id)}`;
  }

  return html`<p><a href="#/products">← Products</a></p>
    <h1 tabindex="-1" ref=${heading}>New product</h1>
    <form onSubmit=${submit} aria-label="New product">
      <section class="panel" aria-labelledby="np-details"><h2 id="np-details">Details</h2>
        <${ProductFields} prefix="np-" />
      </section>
      <section class="panel" aria-labelledby="np-options"><h2 id="np-options">Options</h2>
        <p class="help">Each option's values, separated by commas: one variant is made for every combination.</p>
        ${options.map((o, i) => html`<div class="option-row">
          <div><label for=${`opt-name-${i}`}>Option ${i + 1} name</label>
            <input id=${`opt-name-${i}`} value=${o.name} onInput=${(e) => setOption(i, { name: e.target.value })} /></div>
          <div><label for=${`opt-values-${i}`}>Option ${i + 1} values</label>
            <input id=${`opt-values-${i}`} value=${o.values} placeholder="S, M, L" onInput=${(e) => setOption(i, { values: e.target.value })} /></div>
          <button type="button" class="secondary" onClick=${() => setOptions(options.filter((_, j) => j !== i))}
            aria-label=${`Remove option ${i + 1}`}>Remove</button>
        </div>`)}
        ${options.length < 3 && html`<p><button type="button" class="secondary"
          onClick=${() => setOptions([...options, { name: '', values: '' }])}>Add option</button></p>`}
      </section>
      <section class="panel" aria-labelledby="np-variants"><h2 id="np-variants">Variants (${variants.length})</h2>
        ${stockAt && html`<div class="narrow"><label for="np-location">Stock location</label>
          <select id="np-location" name="stockLocation">${settings.locations.map((l) => html`<option value=${l.id}>${l.name}</option>`)}</select></div>`}
        <div class="table-wrap" role="region" tabindex="0" aria-label="New variants">
          <table class="edit-table">
            <thead><tr><th scope="col">Variant</th><th scope="col">SKU</th>
              <th scope="col">Price (${settings.currency})</th><th scope="col">Compare-at (${settings.currency})</th>
              ${settings.others.map((c) => html`<th scope="col">Price (${c})</th>`)}
              <th scope="col">Track stock</th>${stockAt && html`<th scope="col">Stock</th>`}</tr></thead>
            <tbody>${variants.map((v) => {
              const r = row(v.key);
              const bind = (k) => ({ value: r[k] || '', onInput: (e) => setRow(v.key, { [k]: e.target.value }) });
              return html`<tr>
                <th scope="row">${v.key}</th>
                <td><input aria-label=${`SKU of ${v.key}`} ...${bind('sku')} /></td>
                <td><input aria-label=${`Price (${settings.currency}) of ${v.key}`} inputmode="decimal" ...${bind('price')} /></td>
                <td><input aria-label=${`Compare-at price (${settings.currency}) of ${v.key}`} inputmode="decimal" ...${bind('compareAt')} /></td>
                ${settings.others.map((c) => html`<td><input aria-label=${`Price (${c}) of ${v.key}`} inputmode="decimal" ...${bind(`price_${c}`)} /></td>`)}
                <td><input type="checkbox" aria-label=${`Track stock of ${v.key}`} checked=${!!r.tracked}
                  onChange=${(e) => setRow(v.key, { tracked: e.target.checked })} /></td>
                ${stockAt && html`<td><input aria-label=${`Stock of ${v.key}`} type="number" min="0" step="1" disabled=${!r.tracked} ...${bind('stock')} /></td>`}
              </tr>`;
            })}</tbody>
          </table>
        </div>
      </section>
      <${Problems} errors=${errors} title="The product was not created" variants=${variants.map((v) => v.key)} />
      <p><button type="submit" disabled=${busy}>${busy ? 'Creating…' : 'Create product'}</button></p>
    </form>`;
}
