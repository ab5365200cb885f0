// The Emporium staff dashboard. It speaks only the Admin GraphQL API at /graphql, as any partner could:
// a screen that needs something the API lacks is a gap in the API. The staff token lives in this
// module's memory alone; reloading the page asks to sign in again.
import { h, render } from './vendor/preact.module.js';
import { useEffect, useRef, useState } from './vendor/hooks.module.js';
import htm from './vendor/htm.module.js';

const html = htm.bind(h);

let token = null;

// gql runs one operation and returns its data, or throws the errors' messages.
async function gql(query, variables = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`The server answered ${res.status}.`);
  }
  if (body.errors && body.errors.length) throw new Error(body.errors.map((e) => e.message).join(' '));
  return body.data;
}

// money formats a MoneyV2 from its exact decimal string: Intl reads strings without a float.
function money(m) {
  if (!m) return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currencyCode }).format(m.amount);
  } catch {
    return `${m.amount} ${m.currencyCode}`;
  }
}

const date = (s) => (s ? new Date(s).toLocaleString() : '');

// useRoute follows the location's hash: #/products, #/products/<id>, #/orders, #/customers.
function useRoute() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const [, screen = '', id = ''] = hash.split('/');
  return { screen, id: decodeURIComponent(id) };
}

// useQuery runs query whenever deps change, and keeps the latest answer only.
function useQuery(query, variables, deps) {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    gql(query, variables).then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }),
    );
    return () => { live = false; };
  }, deps);
  return state;
}

// The screens, each shown only to staff holding its permission (the server enforces it anyway).
const screens = [
  { path: 'products', title: 'Products', needs: 'READ_PRODUCTS' },
  { path: 'orders', title: 'Orders', needs: 'READ_ORDERS' },
  { path: 'customers', title: 'Customers', needs: 'READ_CUSTOMERS' },
];

// can tells whether the staff member holds permission; MANAGE_X includes READ_X.
const can = (me, permission) =>
  me.isShopOwner || me.permissions.includes(permission) || me.permissions.includes(permission.replace(/^READ_/, 'MANAGE_'));

function Login({ onSignedIn, failure }) {
  const [error, setError] = useState(failure || '');
  const [busy, setBusy] = useState(false);
  const email = useRef(null);
  useEffect(() => email.current && email.current.focus(), []);
  async function submit(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    setBusy(true);
    setError('');
    try {
      const d = await gql(`mutation($i: StaffAccessTokenCreateInput!) { staffAccessTokenCreate(input: $i) {
        staffAccessToken { accessToken } userErrors { message } } }`,
      { i: { email: form.get('email'), password: form.get('password') } });
      const p = d.staffAccessTokenCreate;
      if (!p.staffAccessToken) throw new Error(p.userErrors.map((u) => u.message).join(' ') || 'Sign-in refused.');
      token = p.staffAccessToken.accessToken;
      onSignedIn();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  }
  return html`<main>
    <form class="login panel" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">Sign in to Emporium</h1>
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required ref=${email} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <p><button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button></p>
    </form>
  </main>`;
}

function Layout({ me, screen, onSignOut, children }) {
  return html`
    <a class="skip" href="#content">Skip to content</a>
    <header class="top">
      <span class="brand">Emporium</span>
      <nav aria-label="Main">
        <ul>
          <li><a href="#/" aria-current=${screen === '' ? 'page' : undefined}>Home</a></li>
          ${screens.filter((s) => can(me, s.needs)).map((s) => html`
            <li><a href=${`#/${s.path}`} aria-current=${screen === s.path ? 'page' : undefined}>${s.title}</a></li>`)}
        </ul>
      </nav>
      <span class="who">${me.name || me.email}</span>
      <button class="secondary" onClick=${onSignOut}>Sign out</button>
    </header>
    <main id="content" tabindex="-1">${children}</main>`;
}

function Home({ me }) {
  return html`<h1>Welcome, ${me.name || me.email}</h1>
    <div class="panel">
      <p>Choose a screen above. You hold: ${me.isShopOwner ? 'every permission (shop owner)' : me.permissions.join(', ') || 'no permission'}.</p>
    </div>`;
}

function Pager({ pageInfo, onNext, onFirst, first }) {
  return html`<div class="pager">
    <button class="secondary" onClick=${onFirst} disabled=${first}>First page</button>
    <button class="secondary" onClick=${onNext} disabled=${!pageInfo || !pageInfo.hasNextPage}>Next page</button>
  </div>`;
}

// Search wraps a list: the query box, and the list's cursor reset when the query changes.
function useListState() {
  const [query, setQuery] = useState('');
  const [after, setAfter] = useState(null);
  return { query, after, setAfter, search: (q) => { setQuery(q); setAfter(null); } };
}

function SearchBox({ id, label, onSearch, children }) {
  function submit(e) {
    e.preventDefault();
    onSearch(new FormData(e.target).get('q'));
  }
  return html`<form class="toolbar" role="search" onSubmit=${submit}>
    <div><label for=${id}>${label}</label><input id=${id} name="q" type="search" /></div>
    ${children}
    <button type="submit">Search</button>
  </form>`;
}

const PRODUCTS = `query($q: String, $after: String, $sort: ProductSortKeys, $reverse: Boolean) {
  products(first: 25, after: $after, query: $q, sortKey: $sort, reverse: $reverse) {
    nodes { id title handle status totalInventory vendor priceRange { minVariantPrice { amount currencyCode } } }
    pageInfo { hasNextPage endCursor } } }`;

function Products() {
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

function Product({ me, id }) {
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

const ORDERS = `query($q: String, $after: String) { orders(first: 25, after: $after, query: $q, reverse: true) {
  nodes { id name processedAt email financialStatus fulfillmentStatus totalPrice { amount currencyCode } }
  pageInfo { hasNextPage endCursor } } }`;

function Orders() {
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

const CUSTOMERS = `query($q: String, $after: String) { customers(first: 25, after: $after, query: $q) {
  nodes { id email firstName lastName createdAt } pageInfo { hasNextPage endCursor } } }`;

function Customers() {
  const list = useListState();
  const { data, error, loading } = useQuery(CUSTOMERS, { q: list.query || null, after: list.after }, [list.query, list.after]);
  const customers = data ? data.customers : null;
  return html`<h1>Customers</h1>
    <${SearchBox} id="customer-search" label="Search customers (email, name)" onSearch=${list.search} />
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-label="Customers table" aria-busy=${loading ? 'true' : 'false'}><table>
      <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Since</th></tr></thead>
      <tbody>${customers && customers.nodes.map((c) => html`<tr><td>${[c.firstName, c.lastName].filter(Boolean).join(' ')}</td>
        <td>${c.email}</td><td>${date(c.createdAt)}</td></tr>`)}</tbody>
    </table></div>
    ${customers && customers.nodes.length === 0 && html`<p>No customer matches.</p>`}
    <${Pager} pageInfo=${customers && customers.pageInfo} first=${!list.after}
      onFirst=${() => list.setAfter(null)} onNext=${() => list.setAfter(customers.pageInfo.endCursor)} />`;
}

function App() {
  const [me, setMe] = useState(null);
  const [error, setError] = useState('');
  const route = useRoute();

  async function signedIn() {
    try {
      const d = await gql('{ currentStaffMember { id name email isShopOwner permissions } }');
      setMe(d.currentStaffMember);
    } catch (err) {
      token = null;
      setError(err.message);
    }
  }
  async function signOut() {
    try { await gql('mutation { staffAccessTokenDelete { userErrors { message } } }'); } catch { /* the token ends with the page anyway */ }
    token = null;
    setMe(null);
    location.hash = '#/';
  }
  useEffect(() => { document.title = me ? `${titleOf(route.screen)} · Emporium admin` : 'Sign in · Emporium admin'; }, [me, route.screen]);

  if (!me) {
    return html`<${Login} onSignedIn=${signedIn} failure=${error} />`;
  }
  const allowed = screens.find((s) => s.path === route.screen);
  let body;
  if (allowed && !can(me, allowed.needs)) body = html`<h1>Not available</h1><p>Your permissions do not include ${allowed.title}.</p>`;
  else if (route.screen === 'products' && route.id) body = html`<${Product} me=${me} id=${route.id} />`;
  else if (route.screen === 'products') body = html`<${Products} />`;
  else if (route.screen === 'orders') body = html`<${Orders} />`;
  else if (route.screen === 'customers') body = html`<${Customers} />`;
  else body = html`<${Home} me=${me} />`;
  return html`<${Layout} me=${me} screen=${route.screen} onSignOut=${signOut}>${body}<//>`;
}

function titleOf(screen) {
  const s = screens.find((x) => x.path === screen);
  return s ? s.title : 'Home';
}

render(html`<${App} />`, document.getElementById('app'));
