// The Emporium staff dashboard. It speaks only the Admin GraphQL API at /graphql, as any partner could:
// a screen that needs something the API lacks is a gap in the API. Each screen lives in screens/ and is
// listed once below; the frame here signs in, lays out the navigation and routes by the location's hash.
import { render } from './vendor/preact.module.js';
import { useEffect, useRef, useState } from './vendor/hooks.module.js';
import { html, gql, setToken, can } from './lib.js';
import { Home } from './screens/home.js';
import { Products, Product } from './screens/products.js';
import { Orders } from './screens/orders.js';
import { Order } from './screens/order.js';
import { Customers, Customer } from './screens/customers.js';
import { Inventory, InventoryVariant } from './screens/inventory.js';
import { Collections, Collection, Pages, Page, Menus, Menu } from './screens/content.js';
import { Discounts, Discount } from './screens/discounts.js';
import { Settings, SettingsSection, settingsPermissions } from './screens/settings.js';
import { Reports } from './screens/reports.js';

// The screens, each shown only to staff holding its permission (the server enforces it anyway):
// #/<path> shows list, #/<path>/<id> shows detail.
const screens = [
  { path: 'products', title: 'Products', needs: 'READ_PRODUCTS', list: Products, detail: Product },
  { path: 'orders', title: 'Orders', needs: 'READ_ORDERS', list: Orders, detail: Order },
  { path: 'customers', title: 'Customers', needs: 'READ_CUSTOMERS', list: Customers, detail: Customer },
  { path: 'inventory', title: 'Inventory', needs: 'READ_INVENTORY', list: Inventory, detail: InventoryVariant },
  { path: 'collections', title: 'Collections', needs: 'READ_PRODUCTS', list: Collections, detail: Collection },
  { path: 'pages', title: 'Pages', needs: 'MANAGE_CONTENT', list: Pages, detail: Page },
  { path: 'menus', title: 'Menus', needs: 'MANAGE_CONTENT', list: Menus, detail: Menu },
  { path: 'discounts', title: 'Discounts', needs: 'READ_DISCOUNTS', list: Discounts, detail: Discount },
  { path: 'reports', title: 'Reports', needs: 'READ_ORDERS', list: Reports },
  { path: 'settings', title: 'Settings', needs: settingsPermissions, list: Settings, detail: SettingsSection },
];

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
      setToken(p.staffAccessToken.accessToken);
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

function App() {
  const [me, setMe] = useState(null);
  const [error, setError] = useState('');
  const route = useRoute();

  async function signedIn() {
    try {
      const d = await gql('{ currentStaffMember { id name email isShopOwner permissions } }');
      setMe(d.currentStaffMember);
    } catch (err) {
      setToken(null);
      setError(err.message);
    }
  }
  async function signOut() {
    try { await gql('mutation { staffAccessTokenDelete { userErrors { message } } }'); } catch { /* the token ends with the page anyway */ }
    setToken(null);
    setMe(null);
    location.hash = '#/';
  }
  useEffect(() => { document.title = me ? `${titleOf(route.screen)} · Emporium admin` : 'Sign in · Emporium admin'; }, [me, route.screen]);

  if (!me) {
    return html`<${Login} onSignedIn=${signedIn} failure=${error} />`;
  }
  const found = screens.find((s) => s.path === route.screen);
  let body;
  if (found && !can(me, found.needs)) body = html`<h1>Not available</h1><p>Your permissions do not include ${found.title}.</p>`;
  else if (found && route.id && found.detail) body = html`<${found.detail} me=${me} id=${route.id} />`;
  else if (found) body = html`<${found.list} me=${me} />`;
  else body = html`<${Home} me=${me} />`;
  return html`<${Layout} me=${me} screen=${route.screen} onSignOut=${signOut}>${body}<//>`;
}

function titleOf(screen) {
  const s = screens.find((x) => x.path === screen);
  return s ? s.title : 'Home';
}

render(html`<${App} />`, document.getElementById('app'));
