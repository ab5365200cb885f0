// Parts the settings and discount screens share: mutations that answer userErrors, a status line, a
// button that asks before a dangerous action, and permission checkboxes.
import { html, gql, userErrorsOf } from '../lib.js';
import { useEffect, useRef, useState } from '../vendor/hooks.module.js';

// mutate runs a mutation and returns the payload at field, throwing its userErrors' messages.
export async function mutate(query, variables, field) {
  const d = await gql(query, variables);
  return userErrorsOf(d[field]);
}

// useAction runs one action at a time and keeps its outcome for Notice.
export function useAction() {
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);
  async function act(fn, okText) {
    setBusy(true);
    setNote(null);
    try {
      const r = await fn();
      if (okText) setNote({ ok: true, text: okText });
      return r ?? true;
    } catch (err) {
      setNote({ ok: false, text: err.message });
      return null;
    } finally {
      setBusy(false);
    }
  }
  return { note, busy, act, setNote };
}

// Notice shows an action's outcome: a status when it worked, an alert when it did not.
export function Notice({ note }) {
  if (!note) return null;
  return note.ok
    ? html`<p class="ok" role="status">${note.text}</p>`
    : html`<p class="error" role="alert">${note.text}</p>`;
}

// ConfirmButton asks before doing something that cannot be undone: the first press shows the question,
// and focus moves to the button that confirms it; Cancel (or Escape) puts focus back where it was.
export function ConfirmButton({ label, name, question, onConfirm, disabled }) {
  const [asking, setAsking] = useState(false);
  const [back, setBack] = useState(false);
  const yes = useRef(null);
  const trigger = useRef(null);
  useEffect(() => {
    if (asking && yes.current) yes.current.focus();
    if (!asking && back && trigger.current) trigger.current.focus();
  }, [asking]);
  const cancel = () => { setBack(true); setAsking(false); };
  if (!asking) {
    return html`<button type="button" class="danger" aria-label=${name || label} disabled=${disabled} ref=${trigger}
      onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`<span class="confirm" role="group" aria-label=${question} onKeyDown=${(e) => e.key === 'Escape' && cancel()}>
    <span>${question}</span>
    <button type="button" class="danger" ref=${yes} onClick=${() => { setAsking(false); onConfirm(); }}>Yes, ${label.toLowerCase()}</button>
    <button type="button" class="secondary" onClick=${cancel}>Cancel</button>
  </span>`;
}

export const PERMISSIONS = ['MANAGE_PRODUCTS', 'READ_PRODUCTS', 'MANAGE_INVENTORY', 'READ_INVENTORY', 'MANAGE_ORDERS',
  'READ_ORDERS', 'MANAGE_CUSTOMERS', 'READ_CUSTOMERS', 'MANAGE_DISCOUNTS', 'READ_DISCOUNTS', 'MANAGE_CONTENT',
  'MANAGE_SETTINGS', 'MANAGE_STAFF', 'MANAGE_APPS', 'MANAGE_WEBHOOKS'];

const words = (s) => s.toLowerCase().replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
export const permissionName = words;

// Checks is a group of checkboxes named name, one per option, with a legend.
export function Checks({ legend, name, options, checked = [], label = words }) {
  return html`<fieldset class="checks"><legend>${legend}</legend>
    ${options.map((o) => {
      const value = typeof o === 'string' ? o : o.value;
      const text = typeof o === 'string' ? label(o) : o.label;
      return html`<label><input type="checkbox" name=${name} value=${value} defaultChecked=${checked.includes(value)} /> ${text}</label>`;
    })}
  </fieldset>`;
}

// opt reads a form field as a trimmed string, or null when empty.
export function opt(form, name) {
  const v = (form.get(name) || '').toString().trim();
  return v === '' ? null : v;
}

// optInt reads a form field as an integer, or null when empty.
export function optInt(form, name) {
  const v = opt(form, name);
  return v === null ? null : Number.parseInt(v, 10);
}
