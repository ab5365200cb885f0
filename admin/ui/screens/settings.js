// Settings: an index of sections, each shown only to staff holding its permission (the server enforces
// them anyway), at #/settings/<section>. The sections live in settings-*.js; the shop's own details and
// its payment settings are here.
import { html, gql, useQuery, can } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';
import { mutate, useAction, Notice } from './settings-kit.js';
import { TaxRates, ShippingZones } from './settings-tax.js';
import { Webhooks } from './settings-webhooks.js';
import { StaffSettings } from './settings-staff.js';
import { ApiKeys } from './settings-apikeys.js';
import { AuditLog } from './settings-audit.js';

const sections = [
  { id: 'shop', title: 'Shop and payments', needs: [], about: 'Name, domain, currencies, and how payments are taken.', view: Shop },
  { id: 'tax', title: 'Tax rates', needs: ['MANAGE_SETTINGS'], about: 'Rates per country, state or ZIP prefix and tax class; where the shop ships from.', view: TaxRates },
  { id: 'shipping', title: 'Shipping zones', needs: ['MANAGE_SETTINGS'], about: 'Countries sharing shipping rates, and the rates.', view: ShippingZones },
  { id: 'webhooks', title: 'Webhooks', needs: ['MANAGE_WEBHOOKS'], about: 'Events sent to other systems, and their deliveries.', view: Webhooks },
  { id: 'staff', title: 'Staff and permission groups', needs: ['MANAGE_STAFF'], about: 'Who signs in here, and what they may do.', view: StaffSettings },
  { id: 'api-keys', title: 'API keys', needs: ['MANAGE_APPS'], about: 'Keys for apps and scripts, each with its own permissions.', view: ApiKeys },
  { id: 'audit', title: 'Audit log', needs: ['MANAGE_SETTINGS'], about: 'Every change made through the Admin API, by whom.', view: AuditLog },
];

// The permissions any section needs: the navigation shows Settings to staff holding one of them.
export const settingsPermissions = ['MANAGE_SETTINGS', 'MANAGE_WEBHOOKS', 'MANAGE_STAFF', 'MANAGE_APPS'];

const allowed = (me, s) => s.needs.length === 0 || can(me, s.needs);

export function Settings({ me }) {
  return html`<h1>Settings</h1>
    <ul class="sections">
      ${sections.filter((s) => allowed(me, s)).map((s) => html`<li class="panel">
        <a href=${`#/settings/${s.id}`}>${s.title}</a><p>${s.about}</p></li>`)}
    </ul>`;
}

export function SettingsSection({ me, id }) {
  const s = sections.find((x) => x.id === id);
  const back = html`<p><a href="#/settings">← Settings</a></p>`;
  if (!s) return html`${back}<h1>No such setting</h1>`;
  if (!allowed(me, s)) return html`${back}<h1>Not available</h1><p>Your permissions do not include ${s.title}.</p>`;
  return html`${back}<${s.view} me=${me} />`;
}

const SHOP = (staffFields) => `{ shop { name description primaryDomain { url } paymentSettings {
  currencyCode enabledPresentmentCurrencies stripePublishableKey ${staffFields ? 'provider captureMode' : ''} } } }`;

function Shop({ me }) {
  const manage = can(me, 'MANAGE_SETTINGS');
  const [version, setVersion] = useState(0);
  const { data, error, loading } = useQuery(SHOP(manage), {}, [version]);
  const action = useAction();
  const shop = data && data.shop;
  async function save(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const currencies = String(f.get('currencies')).split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase());
    const ok = await action.act(() => mutate(`mutation($i: ShopUpdateInput!) { shopUpdate(input: $i) { shop { name } userErrors { field message } } }`,
      { i: { name: f.get('name'), description: f.get('description'), primaryDomain: f.get('domain'),
        currencyCode: String(f.get('currency')).toUpperCase(), enabledPresentmentCurrencies: currencies } }, 'shopUpdate'), 'Shop saved.');
    if (ok) setVersion(version + 1);
  }
  const ps = shop && shop.paymentSettings;
  return html`<h1>Shop and payments</h1>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div aria-busy=${loading ? 'true' : 'false'}>
    ${shop && html`
      <h2 id="shop-title">Shop</h2>
      ${manage ? html`<form class="panel" aria-labelledby="shop-title" onSubmit=${save}>
        <label for="shop-name">Name</label><input id="shop-name" name="name" required defaultValue=${shop.name} />
        <label for="shop-description">Description</label><textarea id="shop-description" name="description" rows="2" defaultValue=${shop.description || ''}></textarea>
        <label for="shop-domain">Primary domain</label><input id="shop-domain" name="domain" type="url" defaultValue=${shop.primaryDomain.url} />
        <div class="row">
          <div><label for="shop-currency">Default currency</label><input id="shop-currency" name="currency" required maxlength="3" defaultValue=${ps.currencyCode} /></div>
          <div><label for="shop-currencies">Currencies the shop prices in</label><input id="shop-currencies" name="currencies"
            aria-describedby="shop-currencies-help" defaultValue=${ps.enabledPresentmentCurrencies.join(', ')} />
            <small id="shop-currencies-help">ISO 4217 codes separated by commas, the default included.</small></div>
        </div>
        <p><button type="submit" disabled=${action.busy}>Save shop</button></p>
        <${Notice} note=${action.note} />
      </form>` : html`<div class="panel"><dl class="facts">
        <dt>Name</dt><dd>${shop.name}</dd><dt>Domain</dt><dd>${shop.primaryDomain.url}</dd>
        <dt>Currency</dt><dd>${ps.currencyCode}</dd><dt>Currencies</dt><dd>${ps.enabledPresentmentCurrencies.join(', ')}</dd>
      </dl></div>`}
      <h2>Payments</h2>
      <div class="panel"><dl class="facts">
        ${manage && html`<dt>Provider</dt><dd>${ps.provider}</dd>
          <dt>Capture</dt><dd>${ps.captureMode === 'FULFILMENT' ? 'At the first fulfilment' : 'At checkout'}</dd>`}
        <dt>Stripe publishable key</dt><dd>${ps.stripePublishableKey ? `Configured (${ps.stripePublishableKey.slice(0, 12)}…)` : 'Not configured'}</dd>
      </dl>
      <p class="muted">Payment settings come from the server's configuration (EMPORIUM_STRIPE_*): they are shown, not changed, here.</p></div>`}
    </div>`;
}
