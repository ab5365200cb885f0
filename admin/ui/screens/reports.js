// Reports (READ_ORDERS): the tax report of a period with its CSV, and the accounting journal as a CSV
// for Xero or QuickBooks. Exports can take a while on a large shop, so each shows its progress, can be
// cancelled, and ends as a file the browser downloads.
import { html, gql, money } from '../lib.js';
import { useEffect, useRef, useState } from '../vendor/hooks.module.js';

// utcDay formats a Date as its UTC day, 2026-12-06.
const utcDay = (d) => d.toISOString().slice(0, 10);

// periodOf turns the form's inclusive UTC days into the API's [from, to) instants.
function periodOf(p) {
  const to = new Date(`${p.to}T00:00:00Z`);
  to.setUTCDate(to.getUTCDate() + 1);
  return { from: `${p.from}T00:00:00Z`, to: to.toISOString() };
}

// download hands a CSV string to the browser as a file: a blob: link is allowed by the page's policy
// because the page never fetches it, it only follows it.
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// useLongOperation runs one slow request at a time with its elapsed seconds and a way to cancel it;
// Progress shows it. run(label, fn) calls fn(signal) and returns what fn returned (null if it failed
// or was cancelled), leaving the outcome in op.note.
export function useLongOperation() {
  const [running, setRunning] = useState(null); // { label, started }
  const [seconds, setSeconds] = useState(0);
  const [note, setNote] = useState(null);
  const ctrl = useRef(null);
  useEffect(() => {
    if (!running) return undefined;
    const t = setInterval(() => setSeconds(Math.floor((Date.now() - running.started) / 1000)), 1000);
    return () => clearInterval(t);
  }, [running]);
  useEffect(() => () => ctrl.current && ctrl.current.abort(), []);
  async function run(label, fn, done) {
    ctrl.current = new AbortController();
    setNote(null);
    setSeconds(0);
    setRunning({ label, started: Date.now() });
    try {
      const r = await fn(ctrl.current.signal);
      setNote({ ok: true, text: done(r) });
      return r;
    } catch (err) {
      setNote(err.name === 'AbortError' ? { ok: true, text: `${label}: cancelled.` } : { ok: false, text: err.message });
      return null;
    } finally {
      ctrl.current = null;
      setRunning(null);
    }
  }
  const cancel = () => ctrl.current && ctrl.current.abort();
  return { running, seconds, note, run, cancel, busy: !!running };
}

// Progress is the operation's live status: what runs and for how long, then how it ended. The status
// region is always in the page so that screen readers hear its changes.
export function Progress({ op, id }) {
  return html`<div class="progress" role="status" aria-live="polite" id=${id}>
    ${op.running && html`<p><span>${op.running.label}… ${op.seconds} s</span>
      <progress aria-label=${op.running.label}></progress>
      <button type="button" class="secondary" onClick=${op.cancel}>Cancel</button></p>`}
    ${!op.running && op.note && op.note.ok && html`<p class="ok">${op.note.text}</p>`}
  </div>
  ${!op.running && op.note && !op.note.ok && html`<p class="error" role="alert">${op.note.text}</p>`}`;
}

const TAX_REPORT = `query($from: DateTime!, $to: DateTime!) { taxReport(from: $from, to: $to) { originCountryCode rows {
  currencyCode jurisdiction treatment oss title ratePercentage
  netSales { amount currencyCode } taxCollected { amount currencyCode } refundedNet { amount currencyCode }
  refundedTax { amount currencyCode } netTaxable { amount currencyCode } taxDue { amount currencyCode } } } }`;

export function Reports() {
  const today = new Date();
  const monthAgo = new Date(today);
  monthAgo.setUTCDate(monthAgo.getUTCDate() - 30);
  const [period, setPeriod] = useState({ from: utcDay(monthAgo), to: utcDay(today) });
  const [report, setReport] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    setReport((s) => ({ ...s, loading: true }));
    gql(TAX_REPORT, periodOf(period)).then((data) => live && setReport({ data }), (error) => live && setReport({ error }));
    return () => { live = false; };
  }, [period.from, period.to]);
  function submit(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    setPeriod({ from: String(f.get('from')), to: String(f.get('to')) });
  }
  const rows = report.data && report.data.taxReport.rows;
  return html`<h1>Reports</h1>
    <form class="toolbar" aria-label="Period" onSubmit=${submit}>
      <div><label for="report-from">From (UTC day)</label><input id="report-from" name="from" type="date" required defaultValue=${period.from} /></div>
      <div><label for="report-to">To (UTC day, included)</label><input id="report-to" name="to" type="date" required defaultValue=${period.to} /></div>
      <button type="submit">Show</button>
    </form>
    <h2 id="tax-report">Tax report</h2>
    ${report.error && html`<p class="error" role="alert">${report.error.message}</p>`}
    <div class="table-wrap" role="region" tabindex="0" aria-labelledby="tax-report" aria-busy=${report.loading ? 'true' : 'false'}>
      <table><caption class="skip">Tax report from ${period.from} to ${period.to}</caption>
        <thead><tr><th scope="col">Currency</th><th scope="col">Jurisdiction</th><th scope="col">Treatment</th><th scope="col">Tax</th>
          <th scope="col" class="num">Rate</th><th scope="col" class="num">Net sales</th><th scope="col" class="num">Tax collected</th>
          <th scope="col" class="num">Refunded net</th><th scope="col" class="num">Refunded tax</th>
          <th scope="col" class="num">Net taxable</th><th scope="col" class="num">Tax due</th></tr></thead>
        <tbody>${rows && rows.map((r) => html`<tr>
          <td>${r.currencyCode}</td><td>${r.jurisdiction}${r.oss ? ' (OSS)' : ''}</td><td>${r.treatment}</td><td>${r.title}</td>
          <td class="num">${r.ratePercentage} %</td><td class="num">${money(r.netSales)}</td><td class="num">${money(r.taxCollected)}</td>
          <td class="num">${money(r.refundedNet)}</td><td class="num">${money(r.refundedTax)}</td>
          <td class="num">${money(r.netTaxable)}</td><td class="num">${money(r.taxDue)}</td></tr>`)}</tbody>
      </table>
    </div>
    ${rows && rows.length === 0 && html`<p>No order and no refund in this period.</p>`}
    <${Exports} period=${period} />`;
}

// Exports downloads the tax report and the journal of the period as CSV files.
function Exports({ period }) {
  const tax = useLongOperation();
  const journal = useLongOperation();
  const [format, setFormat] = useState('XERO');
  const span = `${period.from}-${period.to}`;
  function taxCsv() {
    tax.run('Preparing the tax report CSV', async (signal) => {
      const d = await gql(`query($from: DateTime!, $to: DateTime!) { taxReportExport(from: $from, to: $to) }`, periodOf(period), { signal });
      download(`tax-report-${span}.csv`, d.taxReportExport);
      return d.taxReportExport;
    }, (csv) => `Tax report CSV ready: ${csv.trim().split('\n').length - 1} rows downloaded.`);
  }
  function journalCsv(e) {
    e.preventDefault();
    journal.run(`Preparing the ${format} journal CSV`, async (signal) => {
      const d = await gql(`query($from: DateTime!, $to: DateTime!, $format: JournalExportFormat!) { journalExport(from: $from, to: $to, format: $format) }`,
        { ...periodOf(period), format }, { signal });
      download(`journal-${format.toLowerCase()}-${span}.csv`, d.journalExport);
      return d.journalExport;
    }, (csv) => `Journal CSV ready: ${csv.trim().split('\n').length - 1} lines downloaded.`);
  }
  return html`<p class="buttons"><button type="button" onClick=${taxCsv} disabled=${tax.busy}>Download tax report CSV</button></p>
    <${Progress} op=${tax} id="tax-export-status" />
    <h2 id="journal-export">Accounting journal</h2>
    <form class="panel" aria-labelledby="journal-export" onSubmit=${journalCsv}>
      <p>The journal entries posted in the period, laid out for the accounting software's import.</p>
      <label for="journal-format">Format</label>
      <select id="journal-format" value=${format} onChange=${(e) => setFormat(e.target.value)}>
        <option value="XERO">Xero</option><option value="QUICKBOOKS">QuickBooks</option>
      </select>
      <p class="buttons"><button type="submit" disabled=${journal.busy}>Download journal CSV</button></p>
      <${Progress} op=${journal} id="journal-export-status" />
    </form>`;
}
