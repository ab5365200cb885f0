// Products: the list with search and sort, a product's detail and its editor. The editor's parts live in
// product_editor.js (fields, new product) and product_parts.js (variants and bulk edit, images,
// collections, archive).
import { html, money, date, useQuery, useListState, SearchBox, Pager, can } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';
import { NewProduct, ProductFields, Problems, fieldsFrom, run, settingsOf, takeFlash } from './product_editor.js';
import { Variants, Images, Collections, Archive } from './product_parts.js';

const PRODUCTS = `query($q: String, $after: String, $sort: ProductSortKeys, $reverse: Boolean) {
  products(first: 25, after: $after, query: $q, sortKey: $sort, reverse: $reverse) {
    nodes { id title handle status totalInventory vendor priceRange { minVariantPrice { amount currencyCode } } }
    pageInfo { hasNextPage endCursor } } }`;

export function Products({ me }) {
  const list = useListState();
  const [sort, setSort] = useState('TITLE');
  const { data, error, loading } = useQuery(PRODUCTS,
    { q: list.query || null, after: list.after, sort, reverse: sort === 'UPDATED_AT' }, [list.query, list.after, sort]);
  const products = data ? data.products : null;
  return html`<div class="title-row"><h1>Products</h1>
      ${can(me, 'MANAGE_PRODUCTS') && html`<a class="button" href="#/products/new">New product</a>`}</div>
    <${SearchBox} id="product-search" label="Search products" onSearch=${list.search}>
      <div><label for="product-sort">Sort by</label>
        <select id="product-sort" value=${sort} onChange=${(e) => { setSort(e.target.value); list.setAfter(null); }}>
          <option value="TITLE">Title</option><option value="UPDATED_AT">Last updated</option>
          <option value="PRICE">Price</option><option value="VENDOR">Vendor</option>
        </select></div>
    <//>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-label="Products table" aria-busy=${loading ? 'true' : 'false'}>
      <table>
        <caption class="skip">Products</caption>
        <thead><tr><th scope="col">Title</th><th scope="col">Status</th><th scope="col" class="num">Stock</th>
          <th scope="col" class="num">Price from</th><th scope="col">Vendor</th></tr></thead>
        <tbody>
          ${products && products.nodes.map((p) => html`<tr>
            <td><a href=${`#/products/${encodeURIComponent(p.id)}`}>${p.title}</a></td>
            <td><span class=${`badge ${p.status}`}>${p.status}</span></td>
            <td class="num">${p.totalInventory ?? '—'}</td>
            <td class="num">${money(p.priceRange.minVariantPrice)}</td>
            <td>${p.vendor}</td></tr>`)}
        </tbody>
      </table>
    </div>
    ${products && products.nodes.length === 0 && html`<p>No product matches.</p>`}
    <${Pager} pageInfo=${products && products.pageInfo} first=${!list.after}
      onFirst=${() => list.setAfter(null)} onNext=${() => list.setAfter(products.pageInfo.endCursor)} />`;
}

// One request for the whole page: the product, the shop's currencies, and, for staff who may use them,
// the stock locations and the collections to choose from.
const PRODUCT = `query($id: ID!, $inventory: Boolean!, $manage: Boolean!) {
  shop { paymentSettings { currencyCode enabledPresentmentCurrencies } }
  locations(first: 50) @include(if: $inventory) { nodes { id name isActive } }
  collections(first: 100, sortKey: TITLE) @include(if: $manage) { nodes { id title } }
  product(id: $id) { id title handle status vendor productType tags descriptionHtml
  totalInventory updatedAt onlineStoreUrl seo { title description }
  options { name values }
  images(first: 50) { nodes { id altText url(transform: { maxWidth: 240, maxHeight: 240 }) } }
  collections(first: 100) { nodes { id } }
  variants(first: 100) { nodes { id title sku quantityAvailable
    prices { price { amount currencyCode } compareAtPrice { amount currencyCode } } } } } }`;

// Product is #/products/<id>: the product's facts and, for staff who may change products, its editor;
// #/products/new is the new product form.
export function Product({ me, id }) {
  if (id === 'new') return can(me, 'MANAGE_PRODUCTS') ? html`<${NewProduct} me=${me} />` : html`<h1>Not available</h1>
    <p>Your permissions do not include changing products.</p>`;
  return html`<${ProductDetail} me=${me} id=${id} />`;
}

function ProductDetail({ me, id }) {
  const [version, setVersion] = useState(0);
  const [note] = useState(takeFlash);
  const manage = can(me, 'MANAGE_PRODUCTS');
  const { data, error } = useQuery(PRODUCT, { id, manage, inventory: can(me, 'READ_INVENTORY') }, [id, version]);
  const p = data && data.product;
  if (error) return html`<h1>Product</h1><p class="error" role="alert">${error.message}</p>`;
  if (!data) return html`<h1>Product</h1><p aria-busy="true">Loading…</p>`;
  if (!p) return html`<h1>Product not found</h1>`;
  const settings = settingsOf(data);
  const reload = () => setVersion((n) => n + 1);
  return html`<p><a href="#/products">← Products</a></p>
    <h1>${p.title}</h1>
    ${note && html`<p class="ok" role="status">${note}</p>`}
    <div class="panel">
      <dl class="facts">
        <dt>Handle</dt><dd>${p.handle}</dd>
        <dt>Status</dt><dd><span class=${`badge ${p.status}`}>${p.status}</span></dd>
        <dt>Vendor</dt><dd>${p.vendor}</dd>
        <dt>Stock</dt><dd>${p.totalInventory ?? '—'}</dd>
        <dt>Updated</dt><dd>${date(p.updatedAt)}</dd>
      </dl>
    </div>
    <${Variants} product=${p} settings=${settings} manage=${manage} onSaved=${reload} />
    ${manage && html`
      <${ProductEditor} key=${p.id} product=${p} onSaved=${reload} />
      <${Images} product=${p} onSaved=${reload} />
      <${Collections} product=${p} all=${data.collections.nodes} onSaved=${reload} />
      <${Archive} product=${p} onSaved=${reload} />`}`;
}

function ProductEditor({ product, onSaved }) {
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  async function save(e) {
    e.preventDefault();
    setMessage(null);
    setBusy(true);
    const p = await run(`mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { product { id } userErrors { field message } } }`,
      { p: { id: product.id, ...fieldsFrom(e.target, false) } }, 'productUpdate');
    setBusy(false);
    if (!p || !p.product) {
      setMessage({ errors: p ? p.userErrors : [{ message: 'Not saved.' }] });
      return;
    }
    setMessage({ ok: 'Saved.' });
    onSaved();
  }
  return html`<section aria-labelledby="edit-title"><h2 id="edit-title">Edit product</h2>
    <form class="panel" aria-labelledby="edit-title" onSubmit=${save}>
      <${ProductFields} product=${product} />
      <p><button type="submit" disabled=${busy}>Save</button></p>
      ${message && message.ok && html`<p class="ok" role="status">${message.ok}</p>`}
      ${message && html`<${Problems} errors=${message.errors} />`}
    </form></section>`;
}
