// Products: the list with search and sort, a product's detail and its editor.
import { html, gql, money, date, useQuery, useListState, SearchBox, Pager, can } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';

const PRODUCTS = `query($q: String, $after: String, $sort: ProductSortKeys, $reverse: Boolean) {
  products(first: 25, after: $after, query: $q, sortKey: $sort, reverse: $reverse) {
    nodes { id title handle status totalInventory vendor priceRange { minVariantPrice { amount currencyCode } } }
    pageInfo { hasNextPage endCursor } } }`;

export function Products() {
  const list = useListState();
  const [sort, setSort] = useState('TITLE');
  const { data, error, loading } = useQuery(PRODUCTS,
    { q: list.query || null, after: list.after, sort, reverse: sort === 'UPDATED_AT' }, [list.query, list.after, sort]);
  const products = data ? data.products : null;
  return html`<h1>Products</h1>
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

const PRODUCT = `query($id: ID!) { product(id: $id) { id title handle status vendor productType totalInventory updatedAt
  variants(first: 100) { nodes { id title sku quantityAvailable price { amount currencyCode } } } } }`;

export function Product({ me, id }) {
  const [version, setVersion] = useState(0);
  const { data, error } = useQuery(PRODUCT, { id }, [id, version]);
  const p = data && data.product;
  if (error) return html`<p class="error" role="alert">${error.message}</p>`;
  if (!data) return html`<p>Loading…</p>`;
  if (!p) return html`<h1>Product not found</h1>`;
  return html`<p><a href="#/products">← Products</a></p>
    <h1>${p.title}</h1>
    <div class="panel">
      <dl class="facts">
        <dt>Handle</dt><dd>${p.handle}</dd>
        <dt>Status</dt><dd><span class=${`badge ${p.status}`}>${p.status}</span></dd>
        <dt>Vendor</dt><dd>${p.vendor}</dd>
        <dt>Stock</dt><dd>${p.totalInventory ?? '—'}</dd>
        <dt>Updated</dt><dd>${date(p.updatedAt)}</dd>
      </dl>
    </div>
    <h2>Variants</h2>
    <div class="table-wrap" role="region" tabindex="0" aria-label="Variants table"><table>
      <thead><tr><th scope="col">Variant</th><th scope="col">SKU</th><th scope="col" class="num">Available</th><th scope="col" class="num">Price</th></tr></thead>
      <tbody>${p.variants.nodes.map((v) => html`<tr><td>${v.title}</td><td>${v.sku}</td>
        <td class="num">${v.quantityAvailable ?? '—'}</td><td class="num">${money(v.price)}</td></tr>`)}</tbody>
    </table></div>
    ${can(me, 'MANAGE_PRODUCTS') && html`<${ProductEditor} product=${p} onSaved=${() => setVersion(version + 1)} />`}`;
}

function ProductEditor({ product, onSaved }) {
  const [message, setMessage] = useState(null);
  async function save(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    setMessage(null);
    try {
      const d = await gql(`mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { product { id } userErrors { field message } } }`,
        { p: { id: product.id, title: form.get('title'), status: form.get('status') } });
      const errs = d.productUpdate.userErrors;
      if (errs.length) throw new Error(errs.map((u) => u.message).join(' '));
      setMessage({ ok: true, text: 'Saved.' });
      onSaved();
    } catch (err) {
      setMessage({ ok: false, text: err.message });
    }
  }
  return html`<h2 id="edit-title">Edit product</h2>
    <form class="panel" aria-labelledby="edit-title" onSubmit=${save}>
      <label for="title">Title</label>
      <input id="title" name="title" required maxlength="255" value=${product.title} />
      <label for="status">Status</label>
      <select id="status" name="status" value=${product.status}>
        <option value="ACTIVE">Active</option><option value="DRAFT">Draft</option><option value="ARCHIVED">Archived</option>
      </select>
      <p><button type="submit">Save</button></p>
      ${message && html`<p class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</p>`}
    </form>`;
}
