// Shared parts of the dashboard's screens: the GraphQL call, formatting, list state and small widgets.
// The staff token lives in this module's memory alone; reloading the page asks to sign in again.
import { h } from './vendor/preact.module.js';
import { useEffect, useState } from './vendor/hooks.module.js';
import htm from './vendor/htm.module.js';

export const html = htm.bind(h);

let token = null;

// setToken keeps (or, with null, forgets) the signed-in staff member's token.
export function setToken(t) {
  token = t;
}

// gql runs one operation and returns its data, or throws the errors' messages; signal (optional) cancels it.
export async function gql(query, variables = {}, { signal } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal });
  let body;
  try {
    body = await res.json();
  } catch (err) {
    if (signal && signal.aborted) throw err;
    throw new Error(`The server answered ${res.status}.`);
  }
  if (body.errors && body.errors.length) throw new Error(body.errors.map((e) => e.message).join(' '));
  return body.data;
}

// money formats a MoneyV2 from its exact decimal string: Intl reads strings without a float.
export function money(m) {
  if (!m) return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currencyCode }).format(m.amount);
  } catch {
    return `${m.amount} ${m.currencyCode}`;
  }
}

export const date = (s) => (s ? new Date(s).toLocaleString() : '');

// useQuery runs query whenever deps change, and keeps the latest answer only.
export function useQuery(query, variables, deps) {
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

// can tells whether the staff member holds permission (or, given a list, any of them); MANAGE_X includes READ_X.
export const can = (me, permission) => me.isShopOwner || [].concat(permission).some((p) =>
  me.permissions.includes(p) || me.permissions.includes(p.replace(/^READ_/, 'MANAGE_')));

export function Pager({ pageInfo, onNext, onFirst, first }) {
  return html`<div class="pager">
    <button class="secondary" onClick=${onFirst} disabled=${first}>First page</button>
    <button class="secondary" onClick=${onNext} disabled=${!pageInfo || !pageInfo.hasNextPage}>Next page</button>
  </div>`;
}

// Search wraps a list: the query box, and the list's cursor reset when the query changes.
export function useListState() {
  const [query, setQuery] = useState('');
  const [after, setAfter] = useState(null);
  return { query, after, setAfter, search: (q) => { setQuery(q); setAfter(null); } };
}

export function SearchBox({ id, label, onSearch, children }) {
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

// userErrorsOf throws the messages of a payload's userErrors, if any.
export function userErrorsOf(payload) {
  const errs = (payload && payload.userErrors) || [];
  if (errs.length) throw new Error(errs.map((u) => u.message).join(' '));
  return payload;
}

// Failure shows an error as an alert.
export function Failure({ error }) {
  return error ? html`<p class="error" role="alert">${error.message || String(error)}</p>` : null;
}
