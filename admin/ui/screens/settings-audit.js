// The audit log (MANAGE_SETTINGS): every Admin API write, newest first, filtered by who made it and by
// the mutation, a page at a time.
import { html, useQuery, Pager, date, can } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';

const LOG = `query($after: String, $actor: ID, $action: String) {
  auditLog(first: 25, after: $after, actorId: $actor, action: $action) {
    nodes { id actorType actorId action resource operation fields createdAt } pageInfo { hasNextPage endCursor } } }`;

// The actors to choose from: staff and keys, as far as the staff member may list them.
const actorsQuery = (me) => {
  const parts = [];
  if (can(me, 'MANAGE_STAFF')) parts.push('staffMembers(first: 100) { nodes { id name email } }');
  if (can(me, 'MANAGE_APPS')) parts.push('apiKeys(first: 100) { nodes { id name } }');
  return parts.length ? `{ ${parts.join(' ')} }` : '{ __typename }';
};

export function AuditLog({ me }) {
  const [after, setAfter] = useState(null);
  const [filter, setFilter] = useState({ actor: null, action: null });
  const { data, error, loading } = useQuery(LOG, { after, ...filter }, [after, filter.actor, filter.action]);
  const actors = useQuery(actorsQuery(me), {}, []);
  const names = new Map();
  const a = actors.data || {};
  for (const m of (a.staffMembers && a.staffMembers.nodes) || []) names.set(m.id, m.name || m.email);
  for (const k of (a.apiKeys && a.apiKeys.nodes) || []) names.set(k.id, `API key ${k.name}`);
  function apply(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    setFilter({ actor: f.get('actor') || null, action: String(f.get('action') || '').trim() || null });
    setAfter(null);
  }
  const log = data && data.auditLog;
  return html`<h1>Audit log</h1>
    <form class="toolbar" role="search" aria-label="Filter the audit log" onSubmit=${apply}>
      <div><label for="audit-actor">Made by</label><select id="audit-actor" name="actor">
        <option value="">Anyone</option>
        ${[...names].map(([id, name]) => html`<option value=${id}>${name}</option>`)}</select></div>
      <div><label for="audit-action">Action</label><input id="audit-action" name="action" placeholder="e.g. taxRateCreate" /></div>
      <button type="submit">Filter</button>
    </form>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-label="Audit log table" aria-busy=${loading ? 'true' : 'false'}>
      <table><caption class="skip">Audit log</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Change</th>
          <th scope="col">Object</th><th scope="col">Fields</th></tr></thead>
        <tbody>${log && log.nodes.map((e) => html`<tr>
          <td>${date(e.createdAt)}</td><td>${names.get(e.actorId) || (e.actorType === 'API_KEY' ? 'An API key' : e.actorId || 'System')}</td>
          <td>${e.action}</td><td>${e.operation}</td><td class="wrap">${e.resource}</td><td class="wrap">${e.fields.join(', ')}</td></tr>`)}</tbody>
      </table>
    </div>
    ${log && log.nodes.length === 0 && html`<p>No entry matches.</p>`}
    <${Pager} pageInfo=${log && log.pageInfo} first=${!after} onFirst=${() => setAfter(null)} onNext=${() => setAfter(log.pageInfo.endCursor)} />`;
}
