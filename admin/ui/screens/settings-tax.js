// Tax rates, the shop's tax settings, and shipping zones with their rates (MANAGE_SETTINGS).
import { html, gql, useQuery, Pager, money } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';
import { mutate, useAction, Notice, ConfirmButton, opt, optInt } from './settings-kit.js';
import { useLongOperation, Progress } from './reports.js';

const TAX_RATES = `query($after: String) {
  taxRates(first: 50, after: $after) { nodes { id countryCode provinceCode zipPrefix taxClass name rate inclusive shippingTaxable exempt }
    pageInfo { hasNextPage endCursor } }
  taxClasses taxSettings { originCountryCode nexusStates } }`;

const RATE_FIELDS = 'id countryCode provinceCode zipPrefix taxClass name rate inclusive shippingTaxable exempt';

export function TaxRates() {
  const [after, setAfter] = useState(null);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState(null);
  const { data, error, loading } = useQuery(TAX_RATES, { after }, [after, version]);
  const list = useAction();
  const rates = data && data.taxRates;
  const reload = () => setVersion(version + 1);
  async function remove(r) {
    if (await list.act(() => mutate(`mutation($id: ID!) { taxRateDelete(id: $id) { deletedTaxRateId userErrors { field message } } }`,
      { id: r.id }, 'taxRateDelete'), `Deleted ${r.name} (${r.countryCode}).`)) reload();
  }
  return html`<h1>Tax rates</h1>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <${Notice} note=${list.note} />
    <div class="table-wrap" role="region" tabindex="0" aria-label="Tax rates table" aria-busy=${loading ? 'true' : 'false'}>
      <table><caption class="skip">Tax rates</caption>
        <thead><tr><th scope="col">Country</th><th scope="col">Province</th><th scope="col">ZIP</th><th scope="col">Class</th>
          <th scope="col">Name</th><th scope="col" class="num">Rate</th><th scope="col">Prices</th><th scope="col">Shipping</th>
          <th scope="col"><span class="skip">Actions</span></th></tr></thead>
        <tbody>${rates && rates.nodes.map((r) => html`<tr>
          <td>${r.countryCode}</td><td>${r.provinceCode || '—'}</td><td>${r.zipPrefix || '—'}</td><td>${r.taxClass}</td>
          <td>${r.name}</td><td class="num">${r.exempt ? 'exempt' : `${r.rate} %`}</td>
          <td>${r.inclusive ? 'include tax' : 'add tax'}</td><td>${r.shippingTaxable ? 'taxed' : 'not taxed'}</td>
          <td class="actions"><button type="button" class="secondary" aria-label=${`Edit ${r.name} ${r.countryCode}`} onClick=${() => setEditing(r)}>Edit</button>
            <${ConfirmButton} label="Delete" name=${`Delete ${r.name} ${r.countryCode}`} question=${`Delete the rate ${r.name} (${r.countryCode})?`}
              onConfirm=${() => remove(r)} /></td></tr>`)}</tbody>
      </table>
    </div>
    ${rates && rates.nodes.length === 0 && html`<p>No tax rate yet: orders are not taxed.</p>`}
    <${Pager} pageInfo=${rates && rates.pageInfo} first=${!after} onFirst=${() => setAfter(null)} onNext=${() => setAfter(rates.pageInfo.endCursor)} />
    ${data && html`<${TaxRateForm} key=${editing ? editing.id : 'new'} rate=${editing} classes=${data.taxClasses}
      onDone=${() => { setEditing(null); reload(); }} onCancel=${() => setEditing(null)} />
      <${TaxSettingsForm} settings=${data.taxSettings} />`}
    <${TaxRatesImport} onDone=${reload} />`;
}

// TaxRatesImport loads a US state/ZIP rate table: the file is read in the browser and sent as text.
function TaxRatesImport({ onDone }) {
  const op = useLongOperation();
  async function submit(e) {
    e.preventDefault();
    const file = new FormData(e.target).get('csv');
    if (!file || !file.size) return;
    const r = await op.run(`Importing ${file.name}`, async (signal) => {
      const d = await gql(`mutation($csv: String!) { taxRatesImport(csv: $csv) { importedCount userErrors { field message } } }`,
        { csv: await file.text() }, { signal });
      const p = d.taxRatesImport;
      if (p.userErrors.length) throw new Error(p.userErrors.map((u) => u.message).join(' '));
      return p;
    }, (p) => `${p.importedCount} imported.`);
    if (r) onDone();
  }
  return html`<h2 id="tax-import">Import rates from CSV</h2>
    <form class="panel" aria-labelledby="tax-import" onSubmit=${submit}>
      <label for="tax-import-file">US rate table (State,ZipCode,TaxRegionName,EstimatedCombinedRate,…)</label>
      <input id="tax-import-file" name="csv" type="file" accept=".csv,text/csv" required />
      <p class="buttons"><button type="submit" disabled=${op.busy}>Import rates</button></p>
      <${Progress} op=${op} id="tax-import-status" />
    </form>`;
}

function TaxRateForm({ rate, classes, onDone, onCancel }) {
  const action = useAction();
  const r = rate || { countryCode: '', provinceCode: '', zipPrefix: '', taxClass: 'STANDARD', name: '', rate: '', inclusive: false, shippingTaxable: false, exempt: false };
  async function save(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const input = { countryCode: String(f.get('country')).trim().toUpperCase(), provinceCode: String(f.get('province')).trim().toUpperCase(),
      zipPrefix: String(f.get('zip')).trim(), taxClass: f.get('class'), name: String(f.get('name')).trim(), rate: String(f.get('rate')).trim(),
      inclusive: f.get('inclusive') === 'on', shippingTaxable: f.get('shipping') === 'on', exempt: f.get('exempt') === 'on' };
    const done = await action.act(() => (rate
      ? mutate(`mutation($id: ID!, $i: TaxRateInput!) { taxRateUpdate(id: $id, input: $i) { taxRate { ${RATE_FIELDS} } userErrors { field message } } }`, { id: rate.id, i: input }, 'taxRateUpdate')
      : mutate(`mutation($i: TaxRateInput!) { taxRateCreate(input: $i) { taxRate { ${RATE_FIELDS} } userErrors { field message } } }`, { i: input }, 'taxRateCreate')),
    rate ? 'Tax rate saved.' : 'Tax rate created.');
    if (done) {
      if (!rate) e.target.reset();
      onDone();
    }
  }
  const title = rate ? `Edit ${rate.name} (${rate.countryCode})` : 'New tax rate';
  return html`<h2 id="tax-rate-form">${title}</h2>
    <form class="panel" aria-labelledby="tax-rate-form" onSubmit=${save}>
      <div class="row">
        <div><label for="tax-country">Country code</label><input id="tax-country" name="country" required maxlength="2" defaultValue=${r.countryCode} /></div>
        <div><label for="tax-province">Province or state code</label><input id="tax-province" name="province" maxlength="8" defaultValue=${r.provinceCode} /></div>
        <div><label for="tax-zip">ZIP prefix (US)</label><input id="tax-zip" name="zip" maxlength="10" defaultValue=${r.zipPrefix} /></div>
      </div>
      <div class="row">
        <div><label for="tax-class">Tax class</label><select id="tax-class" name="class">
          ${classes.map((c) => html`<option value=${c} selected=${c === r.taxClass}>${c}</option>`)}</select></div>
        <div><label for="tax-name">Tax name</label><input id="tax-name" name="name" required maxlength="64" defaultValue=${r.name} /></div>
        <div><label for="tax-rate">Rate (percent)</label><input id="tax-rate" name="rate" required inputmode="decimal" defaultValue=${r.rate} /></div>
      </div>
      <div class="inline-checks">
        <label><input type="checkbox" name="inclusive" defaultChecked=${r.inclusive} /> Prices include the tax</label>
        <label><input type="checkbox" name="shipping" defaultChecked=${r.shippingTaxable} /> Shipping is taxed</label>
        <label><input type="checkbox" name="exempt" defaultChecked=${r.exempt} /> This class is exempt here</label>
      </div>
      <p class="buttons"><button type="submit" disabled=${action.busy}>${rate ? 'Save tax rate' : 'Create tax rate'}</button>
        ${rate && html`<button type="button" class="secondary" onClick=${onCancel}>Cancel</button>`}</p>
      <${Notice} note=${action.note} />
    </form>`;
}

function TaxSettingsForm({ settings }) {
  const action = useAction();
  async function save(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    await action.act(() => mutate(`mutation($i: TaxSettingsInput!) { taxSettingsUpdate(input: $i) { taxSettings { originCountryCode } userErrors { field message } } }`,
      { i: { originCountryCode: String(f.get('origin')).trim().toUpperCase(),
        nexusStates: String(f.get('nexus')).split(/[\s,]+/).filter(Boolean).map((s) => s.toUpperCase()) } }, 'taxSettingsUpdate'), 'Tax settings saved.');
  }
  return html`<h2 id="tax-settings">Where the shop collects tax</h2>
    <form class="panel" aria-labelledby="tax-settings" onSubmit=${save}>
      <div class="row">
        <div><label for="tax-origin">Origin country (ships from)</label><input id="tax-origin" name="origin" maxlength="2" defaultValue=${settings.originCountryCode || ''} /></div>
        <div><label for="tax-nexus">US states with nexus</label><input id="tax-nexus" name="nexus" aria-describedby="tax-nexus-help" defaultValue=${settings.nexusStates.join(', ')} />
          <small id="tax-nexus-help">Separated by commas; empty: wherever a rate exists.</small></div>
      </div>
      <p><button type="submit" disabled=${action.busy}>Save tax settings</button></p>
      <${Notice} note=${action.note} />
    </form>`;
}

const ZONES = `{ shippingZones { id name countries rates { handle title kind price { amount currencyCode }
  minWeightGrams maxWeightGrams minSubtotal { amount currencyCode } maxSubtotal { amount currencyCode } freeAbove { amount currencyCode } } } }`;

export function ShippingZones() {
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState(null);
  const { data, error, loading } = useQuery(ZONES, {}, [version]);
  const list = useAction();
  const reload = () => setVersion(version + 1);
  async function remove(z) {
    if (await list.act(() => mutate(`mutation($id: ID!) { shippingZoneDelete(id: $id) { deletedShippingZoneId userErrors { field message } } }`,
      { id: z.id }, 'shippingZoneDelete'), `Deleted ${z.name}.`)) reload();
  }
  return html`<h1>Shipping zones</h1>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <${Notice} note=${list.note} />
    <div aria-busy=${loading ? 'true' : 'false'}>
    ${data && data.shippingZones.length === 0 && html`<p>No shipping zone yet.</p>`}
    ${data && data.shippingZones.map((z) => html`<section class="panel zone" aria-labelledby=${`zone-${z.id}`}>
      <h2 id=${`zone-${z.id}`}>${z.name}</h2>
      <p>Countries: ${z.countries.join(', ')}</p>
      <div class="table-wrap" role="region" tabindex="0" aria-label=${`Rates of ${z.name}`}><table>
        <thead><tr><th scope="col">Rate</th><th scope="col">Kind</th><th scope="col" class="num">Price</th><th scope="col">Applies</th><th scope="col">Free above</th></tr></thead>
        <tbody>${z.rates.map((r) => html`<tr><td>${r.title} <small>(${r.handle})</small></td><td>${r.kind}</td>
          <td class="num">${money(r.price)}</td><td>${applies(r)}</td><td>${r.freeAbove ? money(r.freeAbove) : '—'}</td></tr>`)}</tbody>
      </table></div>
      <p class="buttons"><button type="button" class="secondary" aria-label=${`Edit ${z.name}`} onClick=${() => setEditing(z)}>Edit</button>
        <${ConfirmButton} label="Delete" name=${`Delete ${z.name}`} question=${`Delete the zone ${z.name} and its rates?`} onConfirm=${() => remove(z)} /></p>
    </section>`)}
    </div>
    <${ZoneForm} key=${editing ? editing.id : 'new'} zone=${editing} onDone=${() => { setEditing(null); reload(); }} onCancel=${() => setEditing(null)} />`;
}

function applies(r) {
  if (r.kind === 'WEIGHT') return `${r.minWeightGrams ?? 0} g – ${r.maxWeightGrams ?? '∞'} g`;
  if (r.kind === 'SUBTOTAL') return `${r.minSubtotal ? money(r.minSubtotal) : '0'} – ${r.maxSubtotal ? money(r.maxSubtotal) : '∞'}`;
  return 'always';
}

const blankRate = () => ({ handle: '', title: '', kind: 'FLAT', currencyCode: 'USD', amount: '' });

function ZoneForm({ zone, onDone, onCancel }) {
  const action = useAction();
  const [rates, setRates] = useState(() => (zone ? zone.rates.map((r) => ({ handle: r.handle, title: r.title, kind: r.kind,
    currencyCode: r.price.currencyCode, amount: r.price.amount, minWeightGrams: r.minWeightGrams ?? '', maxWeightGrams: r.maxWeightGrams ?? '',
    minSubtotal: r.minSubtotal ? r.minSubtotal.amount : '', maxSubtotal: r.maxSubtotal ? r.maxSubtotal.amount : '',
    freeAbove: r.freeAbove ? r.freeAbove.amount : '' })) : [blankRate()]));
  async function save(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const input = { name: String(f.get('name')).trim(),
      countries: String(f.get('countries')).split(/[\s,]+/).filter(Boolean).map((c) => (c === '*' ? c : c.toUpperCase())),
      rates: rates.map((_, i) => ({ handle: String(f.get(`handle-${i}`)).trim(), title: String(f.get(`title-${i}`)).trim(),
        kind: f.get(`kind-${i}`), currencyCode: String(f.get(`currency-${i}`)).trim().toUpperCase(), amount: String(f.get(`amount-${i}`)).trim(),
        minWeightGrams: optInt(f, `minw-${i}`), maxWeightGrams: optInt(f, `maxw-${i}`), minSubtotal: opt(f, `mins-${i}`),
        maxSubtotal: opt(f, `maxs-${i}`), freeAbove: opt(f, `free-${i}`) })) };
    const done = await action.act(() => (zone
      ? mutate(`mutation($id: ID!, $i: ShippingZoneInput!) { shippingZoneUpdate(id: $id, input: $i) { shippingZone { id } userErrors { field message } } }`, { id: zone.id, i: input }, 'shippingZoneUpdate')
      : mutate(`mutation($i: ShippingZoneInput!) { shippingZoneCreate(input: $i) { shippingZone { id } userErrors { field message } } }`, { i: input }, 'shippingZoneCreate')),
    zone ? 'Shipping zone saved.' : 'Shipping zone created.');
    if (done) {
      if (!zone) { e.target.reset(); setRates([blankRate()]); }
      onDone();
    }
  }
  const keep = (i, field) => (e) => setRates(rates.map((r, j) => (j === i ? { ...r, [field]: e.target.value } : r)));
  return html`<h2 id="zone-form">${zone ? `Edit ${zone.name}` : 'New shipping zone'}</h2>
    <form class="panel" aria-labelledby="zone-form" onSubmit=${save}>
      <div class="row">
        <div><label for="zone-name">Zone name</label><input id="zone-name" name="name" required defaultValue=${zone ? zone.name : ''} /></div>
        <div><label for="zone-countries">Countries</label><input id="zone-countries" name="countries" required aria-describedby="zone-countries-help"
          defaultValue=${zone ? zone.countries.join(', ') : ''} /><small id="zone-countries-help">Country codes separated by commas; * for every other country.</small></div>
      </div>
      ${rates.map((r, i) => html`<fieldset class="rate"><legend>Rate ${i + 1}</legend>
        <div class="row">
          <div><label for=${`title-${i}`}>Rate title</label><input id=${`title-${i}`} name=${`title-${i}`} required value=${r.title} onInput=${keep(i, 'title')} /></div>
          <div><label for=${`handle-${i}`}>Rate handle</label><input id=${`handle-${i}`} name=${`handle-${i}`} required value=${r.handle} onInput=${keep(i, 'handle')} /></div>
          <div><label for=${`kind-${i}`}>Rate kind</label><select id=${`kind-${i}`} name=${`kind-${i}`} value=${r.kind} onChange=${keep(i, 'kind')}>
            <option value="FLAT">Flat</option><option value="WEIGHT">By weight</option><option value="SUBTOTAL">By subtotal</option></select></div>
        </div>
        <div class="row">
          <div><label for=${`currency-${i}`}>Rate currency</label><input id=${`currency-${i}`} name=${`currency-${i}`} required maxlength="3" value=${r.currencyCode} onInput=${keep(i, 'currencyCode')} /></div>
          <div><label for=${`amount-${i}`}>Rate price</label><input id=${`amount-${i}`} name=${`amount-${i}`} required inputmode="decimal" value=${r.amount} onInput=${keep(i, 'amount')} /></div>
          <div><label for=${`free-${i}`}>Free above subtotal</label><input id=${`free-${i}`} name=${`free-${i}`} inputmode="decimal" value=${r.freeAbove} onInput=${keep(i, 'freeAbove')} /></div>
        </div>
        ${r.kind === 'WEIGHT' && html`<div class="row">
          <div><label for=${`minw-${i}`}>From weight (g)</label><input id=${`minw-${i}`} name=${`minw-${i}`} inputmode="numeric" value=${r.minWeightGrams} onInput=${keep(i, 'minWeightGrams')} /></div>
          <div><label for=${`maxw-${i}`}>Up to weight (g)</label><input id=${`maxw-${i}`} name=${`maxw-${i}`} inputmode="numeric" value=${r.maxWeightGrams} onInput=${keep(i, 'maxWeightGrams')} /></div></div>`}
        ${r.kind === 'SUBTOTAL' && html`<div class="row">
          <div><label for=${`mins-${i}`}>From subtotal</label><input id=${`mins-${i}`} name=${`mins-${i}`} inputmode="decimal" value=${r.minSubtotal} onInput=${keep(i, 'minSubtotal')} /></div>
          <div><label for=${`maxs-${i}`}>Up to subtotal</label><input id=${`maxs-${i}`} name=${`maxs-${i}`} inputmode="decimal" value=${r.maxSubtotal} onInput=${keep(i, 'maxSubtotal')} /></div></div>`}
        ${rates.length > 1 && html`<button type="button" class="secondary" onClick=${() => setRates(rates.filter((_, j) => j !== i))}>Remove rate ${i + 1}</button>`}
      </fieldset>`)}
      <p class="buttons"><button type="button" class="secondary" onClick=${() => setRates([...rates, blankRate()])}>Add a rate</button>
        <button type="submit" disabled=${action.busy}>${zone ? 'Save shipping zone' : 'Create shipping zone'}</button>
        ${zone && html`<button type="button" class="secondary" onClick=${onCancel}>Cancel</button>`}</p>
      <${Notice} note=${action.note} />
    </form>`;
}
