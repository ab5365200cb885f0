// Customers: the list with search.
import { html, date, useQuery, useListState, SearchBox, Pager } from '../lib.js';

const CUSTOMERS = `query($q: String, $after: String) { customers(first: 25, after: $after, query: $q) {
  nodes { id email firstName lastName createdAt } pageInfo { hasNextPage endCursor } } }`;

export function Customers() {
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
