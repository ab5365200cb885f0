// Home: today's and the last 30 days' sales, orders and average order value, a chart of each day, the
// top products and the low stock. Figures come from salesSummary (UTC days, per currency) and
// inventoryLowStock; each chart has its table beside it for screen readers and for exact numbers.
import { html, money, useQuery, can, Failure } from '../lib.js';

const DAY = 24 * 60 * 60 * 1000;

// period is the last 30 UTC days, today included: [midnight UTC 29 days ago, next midnight UTC).
export function period(now = new Date()) {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: new Date(today - 29 * DAY).toISOString(), to: new Date(today + DAY).toISOString() };
}

const SALES = `salesSummary(from: $from, to: $to, topProducts: 5) {
  totals { currencyCode grossSales { amount currencyCode } orderCount averageOrderValue { amount currencyCode } }
  buckets { start orderCount totals { currencyCode grossSales { amount currencyCode } orderCount averageOrderValue { amount currencyCode } } }
  topProducts { product { id } title unitsSold sales { grossSales { amount currencyCode } } } }`;
const LOW = `inventoryLowStock(threshold: 5, first: 10) { id available
  variant { id title sku product { id title } } location { name } }`;

// homeQuery asks for what the member may read; with neither permission, for nothing of note.
function homeQuery(sales, low) {
  const vars = sales ? '($from: DateTime!, $to: DateTime!)' : '';
  return `query${vars} { __typename ${sales ? SALES : ''} ${low ? LOW : ''} }`;
}

export function Home({ me }) {
  const sales = can(me, 'READ_ORDERS');
  const low = can(me, 'READ_INVENTORY');
  const { from, to } = period();
  const { data, error, loading } = useQuery(homeQuery(sales, low), sales ? { from, to } : {}, []);
  return html`<h1>Welcome, ${me.name || me.email}</h1>
    <${Failure} error=${error} />
    ${!sales && !low && html`<div class="panel"><p>Choose a screen above.</p></div>`}
    <div aria-busy=${loading && !error ? 'true' : 'false'}>
      ${data && data.salesSummary && html`<${Sales} summary=${data.salesSummary} />`}
      ${data && data.inventoryLowStock && html`<${LowStock} levels=${data.inventoryLowStock} />`}
    </div>`;
}

// Stat blocks list every currency sold: amounts are never added across currencies.
function Figures({ id, title, totals }) {
  const orders = totals.reduce((n, t) => n + t.orderCount, 0);
  return html`<section class="stats panel" aria-labelledby=${id}>
    <h2 id=${id}>${title}</h2>
    <dl>
      <div><dt>Sales</dt><dd data-figure="sales">${totals.length ? totals.map((t) => html`<span>${money(t.grossSales)}</span> `) : '0'}</dd></div>
      <div><dt>Orders</dt><dd data-figure="orders">${orders}</dd></div>
      <div><dt>Average order</dt><dd data-figure="aov">${totals.length ? totals.map((t) => html`<span>${money(t.averageOrderValue)}</span> `) : '—'}</dd></div>
    </dl>
  </section>`;
}


function Sales({ summary }) {
  const days = summary.buckets;
  const today = days[days.length - 1];
  // The chart shows the currency that sold most over the period; the table lists every currency.
  const main = summary.totals.length ? summary.totals[0].currencyCode : null;
  const amountOf = (b) => {
    const t = main && b.totals.find((x) => x.currencyCode === main);
    return t ? Number(t.grossSales.amount) : 0;
  };
  const label = (b) => new Date(b.start).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return html`<div class="stat-row">
      <${Figures} id="today-title" title="Today" totals=${today.totals} />
      <${Figures} id="month-title" title="Last 30 days" totals=${summary.totals} />
    </div>
    <p class="muted">Days are UTC days; sales are order totals before refunds, voided orders left out.</p>
    <div class="charts">
      <${Bars} id="sales-chart" title=${`Sales per day${main ? ` (${main})` : ''}`}
        values=${days.map((b) => ({ label: label(b), value: amountOf(b) }))} />
      <${Bars} id="orders-chart" title="Orders per day" values=${days.map((b) => ({ label: label(b), value: b.orderCount }))} />
    </div>
    <details class="panel">
      <summary>Sales per day as a table</summary>
      <div class="table-wrap" role="region" tabindex="0" aria-label="Sales per day">
        <table>
          <thead><tr><th scope="col">Day (UTC)</th><th scope="col" class="num">Orders</th><th scope="col" class="num">Sales</th></tr></thead>
          <tbody>${days.map((b) => html`<tr><th scope="row">${label(b)}</th><td class="num">${b.orderCount}</td>
            <td class="num">${b.totals.map((t) => money(t.grossSales)).join(', ') || '—'}</td></tr>`)}</tbody>
        </table>
      </div>
    </details>
    <h2 id="top-title">Top products, last 30 days</h2>
    ${summary.topProducts.length === 0 ? html`<p>No sales in the last 30 days.</p>` : html`
    <div class="table-wrap" role="region" tabindex="0" aria-labelledby="top-title">
      <table>
        <thead><tr><th scope="col">Product</th><th scope="col" class="num">Units</th><th scope="col" class="num">Sales</th></tr></thead>
        <tbody>${summary.topProducts.map((p) => html`<tr>
          <td>${p.product ? html`<a href=${`#/products/${encodeURIComponent(p.product.id)}`}>${p.title}</a>` : p.title}</td>
          <td class="num">${p.unitsSold}</td><td class="num">${p.sales.map((s) => money(s.grossSales)).join(', ')}</td></tr>`)}</tbody>
      </table>
    </div>`}`;
}

// Bars draws values as an SVG bar chart; the figure's table (above) carries the exact numbers, and the
// chart's accessible name says what it shows and its largest value.
function Bars({ id, title, values }) {
  const w = 600;
  const h = 140;
  const max = Math.max(1, ...values.map((v) => v.value));
  const step = w / values.length;
  const peak = values.reduce((a, b) => (b.value > a.value ? b : a), values[0]);
  return html`<figure class="chart panel">
    <figcaption id=${id}>${title}</figcaption>
    <svg viewBox=${`0 0 ${w} ${h + 22}`} role="img" aria-labelledby=${id} aria-describedby=${`${id}-desc`} focusable="false">
      <desc id=${`${id}-desc`}>${values.length} days; highest ${peak.value} on ${peak.label}; today ${values[values.length - 1].value}.</desc>
      <line x1="0" y1=${h} x2=${w} y2=${h} class="axis" />
      ${values.map((v, i) => {
        const bh = Math.round((v.value / max) * (h - 4));
        return html`<rect x=${i * step + 1} y=${h - bh} width=${Math.max(1, step - 2)} height=${bh} class="bar"><title>${v.label}: ${v.value}</title></rect>`;
      })}
      <text x="0" y=${h + 18} class="tick">${values[0].label}</text>
      <text x=${w} y=${h + 18} class="tick end">${values[values.length - 1].label}</text>
    </svg>
  </figure>`;
}

function LowStock({ levels }) {
  return html`<h2 id="low-title">Low stock (5 or fewer)</h2>
    ${levels.length === 0 ? html`<p>Nothing is low.</p>` : html`
    <div class="table-wrap" role="region" tabindex="0" aria-labelledby="low-title">
      <table>
        <thead><tr><th scope="col">Variant</th><th scope="col">SKU</th><th scope="col">Location</th><th scope="col" class="num">Available</th></tr></thead>
        <tbody>${levels.map((l) => html`<tr>
          <td><a href=${`#/inventory/${encodeURIComponent(l.variant.id)}`}>${l.variant.product.title} · ${l.variant.title}</a></td>
          <td>${l.variant.sku || '—'}</td><td>${l.location.name}</td><td class="num">${l.available}</td></tr>`)}</tbody>
      </table>
    </div>`}`;
}
