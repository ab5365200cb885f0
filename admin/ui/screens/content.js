// Collections, pages and menus: lists with search, and an editor each (#/<screen>/new creates). Collections
// are manual: the Admin API has no automated (rule-based) collections.
import { html, gql, date, useQuery, useListState, SearchBox, Pager, can, userErrorsOf, Failure } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';

const go = (hash) => { location.hash = hash; };

// Saved shows the outcome of a save as a status message.
function Saved({ message }) {
  return message ? html`<p class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</p>` : null;
}

// useSave runs an async save, keeping its message and busy state.
function useSave() {
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  async function run(fn, ok) {
    setBusy(true);
    setMessage(null);
    try {
      await fn();
      setMessage({ ok: true, text: ok });
    } catch (err) {
      setMessage({ ok: false, text: err.message });
    } finally {
      setBusy(false);
    }
  }
  return { message, busy, run };
}

// ---- Collections ----

const COLLECTIONS = `query($q: String, $after: String) { collections(first: 25, after: $after, query: $q, sortKey: TITLE) {
  nodes { id title handle updatedAt } pageInfo { hasNextPage endCursor } } }`;

export function Collections({ me }) {
  const list = useListState();
  const { data, error, loading } = useQuery(COLLECTIONS, { q: list.query || null, after: list.after }, [list.query, list.after]);
  const cols = data ? data.collections : null;
  return html`<h1>Collections</h1>
    ${can(me, 'MANAGE_PRODUCTS') && html`<p><a class="button" href="#/collections/new">New collection</a></p>`}
    <${SearchBox} id="collection-search" label="Search collections" onSearch=${list.search} />
    <${Failure} error=${error} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="Collections table" aria-busy=${loading ? 'true' : 'false'}>
      <table>
        <thead><tr><th scope="col">Title</th><th scope="col">Handle</th><th scope="col">Updated</th></tr></thead>
        <tbody>${cols && cols.nodes.map((c) => html`<tr><td><a href=${`#/collections/${encodeURIComponent(c.id)}`}>${c.title}</a></td>
          <td>${c.handle}</td><td>${date(c.updatedAt)}</td></tr>`)}</tbody>
      </table>
    </div>
    <${Pager} pageInfo=${cols && cols.pageInfo} first=${!list.after}
      onFirst=${() => list.setAfter(null)} onNext=${() => list.setAfter(cols.pageInfo.endCursor)} />`;
}

const COLLECTION = `query($id: ID!) { collection(id: $id) { id title handle descriptionHtml onlineStoreUrl
  products(first: 100) { nodes { id title } } } }`;

export function Collection({ me, id }) {
  const isNew = id === 'new';
  const [version, setVersion] = useState(0);
  const { data, error } = useQuery(isNew ? '{ __typename }' : COLLECTION, isNew ? {} : { id }, [id, version]);
  const save = useSave();
  const manage = can(me, 'MANAGE_PRODUCTS');
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<p aria-busy="true">Loading…</p>`;
  const c = isNew ? { title: '', handle: '', descriptionHtml: '', products: { nodes: [] } } : data.collection;
  if (!c) return html`<h1>Collection not found</h1>`;
  function submit(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const input = { title: f.get('title'), descriptionHtml: f.get('description') };
    if (f.get('handle')) input.handle = f.get('handle');
    save.run(async () => {
      if (isNew) {
        const d = await gql(`mutation($in: CollectionInput!) { collectionCreate(input: $in) { collection { id } userErrors { field message } } }`, { in: input });
        go(`#/collections/${encodeURIComponent(userErrorsOf(d.collectionCreate).collection.id)}`);
      } else {
        const d = await gql(`mutation($in: CollectionInput!) { collectionUpdate(input: $in) { collection { id } userErrors { field message } } }`, { in: { id: c.id, ...input } });
        userErrorsOf(d.collectionUpdate);
        setVersion(version + 1);
      }
    }, 'Collection saved.');
  }
  return html`<p><a href="#/collections">← Collections</a></p>
    <h1>${isNew ? 'New collection' : c.title}</h1>
    <form class="panel" aria-label="Collection" key=${version} onSubmit=${submit}>
      <label for="col-title">Title</label><input id="col-title" name="title" required maxlength="255" defaultValue=${c.title} readonly=${!manage} />
      <label for="col-handle">Handle</label><input id="col-handle" name="handle" maxlength="255" defaultValue=${c.handle} readonly=${!manage} placeholder="made from the title when empty" />
      <label for="col-description">Description (HTML)</label><textarea id="col-description" name="description" rows="4" readonly=${!manage} defaultValue=${c.descriptionHtml}></textarea>
      ${manage && html`<p><button type="submit" disabled=${save.busy}>Save collection</button></p>`}
      <${Saved} message=${save.message} />
    </form>
    ${!isNew && html`<${Members} collection=${c} manage=${manage} onChanged=${() => setVersion(version + 1)} />`}`;
}

const FIND_PRODUCTS = `query($q: String) { products(first: 10, query: $q) { nodes { id title } } }`;

function Members({ collection, manage, onChanged }) {
  const [found, setFound] = useState(null);
  const save = useSave();
  const inside = new Set(collection.products.nodes.map((p) => p.id));
  async function find(e) {
    e.preventDefault();
    const q = new FormData(e.target).get('q');
    save.run(async () => setFound((await gql(FIND_PRODUCTS, { q })).products.nodes), 'Search done.');
  }
  const change = (add, p) => save.run(async () => {
    const name = add ? 'collectionAddProducts' : 'collectionRemoveProducts';
    const d = await gql(`mutation($id: ID!, $p: [ID!]!) { ${name}(id: $id, productIds: $p) { collection { id } userErrors { field message } } }`,
      { id: collection.id, p: [p.id] });
    userErrorsOf(d[name]);
    onChanged();
  }, add ? `Added ${p.title}.` : `Removed ${p.title}.`);
  return html`<h2 id="members-title">Products in this collection</h2>
    ${collection.products.nodes.length === 0 ? html`<p>No product yet.</p>` : html`
    <ul class="members" aria-labelledby="members-title">${collection.products.nodes.map((p) => html`<li>
      <a href=${`#/products/${encodeURIComponent(p.id)}`}>${p.title}</a>
      ${manage && html`<button class="secondary" type="button" onClick=${() => change(false, p)} aria-label=${`Remove ${p.title}`}>Remove</button>`}</li>`)}</ul>`}
    ${manage && html`<form class="toolbar" role="search" aria-label="Find products to add" onSubmit=${find}>
        <div><label for="member-search">Find a product to add</label><input id="member-search" name="q" type="search" /></div>
        <button type="submit">Find</button>
      </form>
      ${found && html`<ul class="members" aria-label="Products found">${found.map((p) => html`<li>${p.title}
        ${inside.has(p.id) ? html`<span class="badge">In collection</span>`
          : html`<button type="button" onClick=${() => change(true, p)} aria-label=${`Add ${p.title}`}>Add</button>`}</li>`)}</ul>`}`}
    <${Saved} message=${save.message} />`;
}

// ---- Pages ----

const PAGES = `query($q: String, $after: String) { pages(first: 25, after: $after, query: $q, sortKey: TITLE) {
  nodes { id title handle isPublished updatedAt } pageInfo { hasNextPage endCursor } } }`;

export function Pages() {
  const list = useListState();
  const { data, error, loading } = useQuery(PAGES, { q: list.query || null, after: list.after }, [list.query, list.after]);
  const pages = data ? data.pages : null;
  return html`<h1>Pages</h1>
    <p><a class="button" href="#/pages/new">New page</a></p>
    <${SearchBox} id="page-search" label="Search pages" onSearch=${list.search} />
    <${Failure} error=${error} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="Pages table" aria-busy=${loading ? 'true' : 'false'}>
      <table>
        <thead><tr><th scope="col">Title</th><th scope="col">Handle</th><th scope="col">Status</th><th scope="col">Updated</th></tr></thead>
        <tbody>${pages && pages.nodes.map((p) => html`<tr><td><a href=${`#/pages/${encodeURIComponent(p.id)}`}>${p.title}</a></td>
          <td>${p.handle}</td><td><span class=${`badge ${p.isPublished ? 'ACTIVE' : 'DRAFT'}`}>${p.isPublished ? 'Published' : 'Hidden'}</span></td>
          <td>${date(p.updatedAt)}</td></tr>`)}</tbody>
      </table>
    </div>
    <${Pager} pageInfo=${pages && pages.pageInfo} first=${!list.after}
      onFirst=${() => list.setAfter(null)} onNext=${() => list.setAfter(pages.pageInfo.endCursor)} />`;
}

const PAGE = `query($id: ID!) { page(id: $id) { id title handle body isPublished } }`;

export function Page({ id }) {
  const isNew = id === 'new';
  const [version, setVersion] = useState(0);
  const { data, error } = useQuery(isNew ? '{ __typename }' : PAGE, isNew ? {} : { id }, [id, version]);
  const save = useSave();
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<p aria-busy="true">Loading…</p>`;
  const p = isNew ? { title: '', handle: '', body: '', isPublished: false } : data.page;
  if (!p) return html`<h1>Page not found</h1>`;
  function submit(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const page = { title: f.get('title'), body: f.get('body'), isPublished: f.get('published') === 'on' };
    if (f.get('handle')) page.handle = f.get('handle');
    save.run(async () => {
      if (isNew) {
        const d = await gql(`mutation($p: PageCreateInput!) { pageCreate(page: $p) { page { id } userErrors { field message } } }`, { p: page });
        go(`#/pages/${encodeURIComponent(userErrorsOf(d.pageCreate).page.id)}`);
      } else {
        const d = await gql(`mutation($id: ID!, $p: PageUpdateInput!) { pageUpdate(id: $id, page: $p) { page { id } userErrors { field message } } }`, { id: p.id, p: page });
        userErrorsOf(d.pageUpdate);
        setVersion(version + 1);
      }
    }, 'Page saved.');
  }
  return html`<p><a href="#/pages">← Pages</a></p>
    <h1>${isNew ? 'New page' : p.title}</h1>
    <form class="panel" aria-label="Page" key=${version} onSubmit=${submit}>
      <label for="page-title">Title</label><input id="page-title" name="title" required maxlength="255" defaultValue=${p.title} />
      <label for="page-handle">Handle</label><input id="page-handle" name="handle" maxlength="255" defaultValue=${p.handle} placeholder="made from the title when empty" />
      <label for="page-body">Body (HTML)</label><textarea id="page-body" name="body" rows="8" defaultValue=${p.body}></textarea>
      <p class="check"><input id="page-published" name="published" type="checkbox" defaultChecked=${p.isPublished} />
        <label for="page-published">Published (shown on the storefront)</label></p>
      <p><button type="submit" disabled=${save.busy}>Save page</button></p>
      <${Saved} message=${save.message} />
    </form>`;
}

// ---- Menus ----

const MENUS = `{ menus(first: 100) { nodes { id title handle itemsCount } } }`;

export function Menus() {
  const { data, error, loading } = useQuery(MENUS, {}, []);
  return html`<h1>Menus</h1>
    <p><a class="button" href="#/menus/new">New menu</a></p>
    <${Failure} error=${error} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="Menus table" aria-busy=${loading ? 'true' : 'false'}>
      <table>
        <thead><tr><th scope="col">Title</th><th scope="col">Handle</th><th scope="col" class="num">Items</th></tr></thead>
        <tbody>${data && data.menus.nodes.map((m) => html`<tr><td><a href=${`#/menus/${encodeURIComponent(m.id)}`}>${m.title}</a></td>
          <td>${m.handle}</td><td class="num">${m.itemsCount}</td></tr>`)}</tbody>
      </table>
    </div>`;
}

const ITEM = 'title type url resourceId tags';
const MENU = `query($id: ID!) { node(id: $id) { ... on Menu { id title handle
  items { ${ITEM} items { ${ITEM} items { ${ITEM} } } } } } }`;
const TYPES = ['HTTP', 'FRONTPAGE', 'CATALOG', 'COLLECTIONS', 'SEARCH', 'COLLECTION', 'PRODUCT', 'PAGE'];
const LINKED = new Set(['COLLECTION', 'PRODUCT', 'PAGE']);

// itemInput turns a loaded item, with its sub-items, back into MenuItemCreateInput: menuUpdate replaces
// every item, so sub-items the editor does not show are kept as they were.
function itemInput(i) {
  const out = { title: i.title, type: i.type, tags: i.tags || [], items: (i.items || []).map(itemInput) };
  if (LINKED.has(i.type)) out.resourceId = i.resourceId || null;
  else if (i.url) out.url = i.url;
  return out;
}

export function Menu({ id }) {
  const isNew = id === 'new';
  const { data, error } = useQuery(isNew ? '{ __typename }' : MENU, isNew ? {} : { id }, [id]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<p aria-busy="true">Loading…</p>`;
  const m = isNew ? { title: '', handle: '', items: [] } : data.node;
  if (!m) return html`<h1>Menu not found</h1>`;
  return html`<${MenuEditor} key=${m.id || 'new'} menu=${m} isNew=${isNew} />`;
}

const TARGETS = `{ pages(first: 100, sortKey: TITLE) { nodes { id title } } collections(first: 100, sortKey: TITLE) { nodes { id title } } }`;

function MenuEditor({ menu, isNew }) {
  const [items, setItems] = useState(menu.items.map((i) => ({ ...i })));
  // Pages and collections are offered by title; products, too many to list, by ID.
  const targets = useQuery(TARGETS, {}, []).data;
  const choices = { PAGE: targets && targets.pages.nodes, COLLECTION: targets && targets.collections.nodes };
  const save = useSave();
  const set = (n, field, value) => setItems(items.map((it, i) => (i === n ? { ...it, [field]: value } : it)));
  function submit(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const vars = { title: f.get('title'), handle: f.get('handle'), items: items.map(itemInput) };
    save.run(async () => {
      if (isNew) {
        const d = await gql(`mutation($title: String!, $handle: String!, $items: [MenuItemCreateInput!]!) {
          menuCreate(title: $title, handle: $handle, items: $items) { menu { id } userErrors { field message } } }`, vars);
        go(`#/menus/${encodeURIComponent(userErrorsOf(d.menuCreate).menu.id)}`);
      } else {
        const d = await gql(`mutation($id: ID!, $title: String!, $handle: String, $items: [MenuItemCreateInput!]!) {
          menuUpdate(id: $id, title: $title, handle: $handle, items: $items) { menu { id } userErrors { field message } } }`, { id: menu.id, ...vars });
        userErrorsOf(d.menuUpdate);
      }
    }, 'Menu saved.');
  }
  return html`<p><a href="#/menus">← Menus</a></p>
    <h1>${isNew ? 'New menu' : menu.title}</h1>
    <form class="panel" aria-label="Menu" onSubmit=${submit}>
      <label for="menu-title">Title</label><input id="menu-title" name="title" required maxlength="255" defaultValue=${menu.title} />
      <label for="menu-handle">Handle</label><input id="menu-handle" name="handle" required maxlength="255" defaultValue=${menu.handle} />
      <h2>Items</h2>
      ${items.length === 0 && html`<p>No item yet.</p>`}
      <ol class="menu-items">${items.map((it, n) => html`<li class="form-grid">
        <div><label for=${`item-title-${n}`}>Item ${n + 1} title</label>
          <input id=${`item-title-${n}`} required value=${it.title} onInput=${(e) => set(n, 'title', e.target.value)} /></div>
        <div><label for=${`item-type-${n}`}>Item ${n + 1} links to</label>
          <select id=${`item-type-${n}`} value=${it.type} onChange=${(e) => set(n, 'type', e.target.value)}>
            ${TYPES.map((t) => html`<option value=${t}>${t.toLowerCase()}</option>`)}</select></div>
        ${choices[it.type]
          ? html`<div><label for=${`item-res-${n}`}>Item ${n + 1} ${it.type.toLowerCase()}</label>
            <select id=${`item-res-${n}`} required value=${it.resourceId || ''} onChange=${(e) => set(n, 'resourceId', e.target.value)}>
              <option value="">Choose…</option>
              ${choices[it.type].map((c) => html`<option value=${c.id}>${c.title}</option>`)}</select></div>`
          : LINKED.has(it.type)
          ? html`<div><label for=${`item-res-${n}`}>Item ${n + 1} ${it.type.toLowerCase()} ID</label>
            <input id=${`item-res-${n}`} required value=${it.resourceId || ''} placeholder="gid://emporium/…" onInput=${(e) => set(n, 'resourceId', e.target.value)} /></div>`
          : html`<div><label for=${`item-url-${n}`}>Item ${n + 1} URL</label>
            <input id=${`item-url-${n}`} value=${it.url || ''} onInput=${(e) => set(n, 'url', e.target.value)} /></div>`}
        <p><button type="button" class="secondary" onClick=${() => setItems(items.filter((_, i) => i !== n))}>Remove item ${n + 1}</button></p>
      </li>`)}</ol>
      <p><button type="button" class="secondary" onClick=${() => setItems([...items, { title: '', type: 'HTTP', url: '', items: [] }])}>Add item</button></p>
      <p><button type="submit" disabled=${save.busy}>Save menu</button></p>
      <${Saved} message=${save.message} />
    </form>`;
}
