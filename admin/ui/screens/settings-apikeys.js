// API keys (MANAGE_APPS): the list, a new key whose secret is shown once (kept in this screen's memory
// only, so it is gone once the staff member navigates away), and revocation.
import { html, useQuery, date, can } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';
import { mutate, useAction, Notice, ConfirmButton, Checks, PERMISSIONS, permissionName } from './settings-kit.js';

const KEYS = `{ apiKeys(first: 100) { nodes { id name prefix permissions expiresAt revokedAt lastUsedAt createdAt } } }`;

export function ApiKeys({ me }) {
  const [version, setVersion] = useState(0);
  const [created, setCreated] = useState(null);
  const { data, error, loading } = useQuery(KEYS, {}, [version]);
  const list = useAction();
  const create = useAction();
  const reload = () => setVersion(version + 1);
  async function revoke(k) {
    if (await list.act(() => mutate(`mutation($id: ID!) { apiKeyRevoke(id: $id) { revokedApiKeyId userErrors { field message } } }`,
      { id: k.id }, 'apiKeyRevoke'), `Revoked ${k.name}: it no longer works.`)) reload();
  }
  async function add(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    setCreated(null);
    const expires = f.get('expires');
    const p = await create.act(() => mutate(`mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { apiKey { id name } secret userErrors { field message } } }`,
      { i: { name: String(f.get('name')).trim(), permissions: f.getAll('permissions'),
        expiresAt: expires ? new Date(`${expires}T23:59:59`).toISOString() : null } }, 'apiKeyCreate'));
    if (p) {
      setCreated({ name: p.apiKey.name, secret: p.secret });
      e.target.reset();
      reload();
    }
  }
  // A key never holds more than its creator: offer only what the staff member holds.
  const grantable = PERMISSIONS.filter((p) => can(me, p));
  const keys = data && data.apiKeys.nodes;
  return html`<h1>API keys</h1>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <${Notice} note=${list.note} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="API keys table" aria-busy=${loading ? 'true' : 'false'}>
      <table><caption class="skip">API keys</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Key starts</th><th scope="col">Permissions</th><th scope="col">Created</th>
          <th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
        <tbody>${keys && keys.map((k) => html`<tr>
          <td>${k.name}</td><td><code>${k.prefix}…</code></td><td class="wrap">${k.permissions.map(permissionName).join(', ')}</td>
          <td>${date(k.createdAt)}</td><td>${k.lastUsedAt ? date(k.lastUsedAt) : 'never'}</td>
          <td>${state(k)}</td>
          <td class="actions">${!k.revokedAt && html`<${ConfirmButton} label="Revoke" name=${`Revoke ${k.name}`}
            question=${`Revoke ${k.name}? Apps using it stop working at once.`} onConfirm=${() => revoke(k)} />`}</td></tr>`)}</tbody>
      </table>
    </div>
    ${keys && keys.length === 0 && html`<p>No API key yet.</p>`}
    <h2 id="key-form">New API key</h2>
    <form class="panel" aria-labelledby="key-form" onSubmit=${add}>
      <div class="row">
        <div><label for="key-name">Key name</label><input id="key-name" name="name" required maxlength="255" /></div>
        <div><label for="key-expires">Expires on (optional)</label><input id="key-expires" name="expires" type="date" /></div>
      </div>
      <${Checks} legend="Permissions" name="permissions" options=${grantable} />
      <p><button type="submit" disabled=${create.busy}>Create API key</button></p>
      <${Notice} note=${create.note} />
      ${created && html`<${Secret} label=${`Secret of ${created.name}`} secret=${created.secret}
        about="Send it as Authorization: Bearer <secret> or X-API-Key. Copy it now: it is shown this once and never again." />`}
    </form>`;
}

function state(k) {
  if (k.revokedAt) return html`<span class="badge REVOKED">revoked ${date(k.revokedAt)}</span>`;
  if (k.expiresAt && new Date(k.expiresAt) < new Date()) return html`<span class="badge REVOKED">expired</span>`;
  return html`<span class="badge ACTIVE">active</span>${k.expiresAt ? ` until ${date(k.expiresAt)}` : ''}`;
}

// Secret shows a secret once, read-only, with a button that copies it.
export function Secret({ label, secret, about }) {
  const [copied, setCopied] = useState('');
  async function copy(e) {
    const field = e.target.closest('.secret').querySelector('input');
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied.');
    } catch {
      field.select(); // the browser refused the clipboard: the text is selected for the person to copy
      setCopied('Selected: press Ctrl+C (⌘C) to copy.');
    }
  }
  return html`<div class="secret panel" role="region" aria-label=${label}>
    <p><strong>${about}</strong></p>
    <label for="secret-value">${label}</label>
    <div class="row"><input id="secret-value" readonly value=${secret} onFocus=${(e) => e.target.select()} />
      <button type="button" onClick=${copy}>Copy</button></div>
    ${copied && html`<p class="ok" role="status">${copied}</p>`}
  </div>`;
}
