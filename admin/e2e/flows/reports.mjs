// Reports: the owner sees the period's tax report with the figures the API answers, downloads it and the
// journal (Xero) as CSV files while the progress shows, cancels a slow export, and imports a US rate
// table in Settings → Tax. The report is also checked on a phone.
import { readFileSync } from 'node:fs';
import { base, check, figures, screen, session, signIn } from '../lib.mjs';

// api signs in from node (the page keeps its token in memory alone) and runs one operation as the owner.
let ownerToken;
async function api(query, variables = {}) {
  const post = async (q, v, headers = {}) => {
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ query: q, variables: v }) });
    const body = await res.json();
    check(!body.errors, `API errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  if (!ownerToken) {
    const d = await post(`mutation($i: StaffAccessTokenCreateInput!) { staffAccessTokenCreate(input: $i) { staffAccessToken { accessToken } } }`,
      { i: { email: process.env.OWNER_EMAIL, password: process.env.OWNER_PASSWORD } });
    ownerToken = d.staffAccessTokenCreate.staffAccessToken.accessToken;
  }
  return post(query, variables, { Authorization: `Bearer ${ownerToken}` });
}

// firstLine reads the first line of a download the page started with click.
async function downloaded(page, click) {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const text = readFileSync(await file.path(), 'utf8');
  return { name: file.suggestedFilename(), text, first: text.split('\n')[0] };
}

const day = (d) => d.toISOString().slice(0, 10);

export async function owner() {
  const start = Date.now();
  const x = await session({ width: 1280, height: 800 });
  const { page } = x;
  try {
    await ownerSteps(x, page);
  } catch (err) {
    console.log('reports flow failed on this screen:\n', await page.locator('main').innerText().catch(() => ''), x.errors);
    throw err;
  } finally {
    await x.close();
  }
  figures.reportsFlowMs = Date.now() - start;
}

async function ownerSteps(x, page) {
  // slow holds the named export's request a while, as a large shop's export would take.
  const slow = new Set();
  await page.route('**/graphql', async (route) => {
    const body = route.request().postData() || '';
    const held = [...slow].find((f) => body.includes(f));
    if (held) await new Promise((r) => setTimeout(r, 2200));
    await route.continue().catch(() => {}); // a cancelled request has nothing left to continue
  });

  await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
  await screen(page, 'reports', '#/reports', 'Reports');

  // The table shows what the API answers for the default period, the last 30 UTC days.
  const now = new Date();
  const from = new Date(now);
  from.setUTCDate(from.getUTCDate() - 30);
  const to = new Date(now);
  to.setUTCDate(to.getUTCDate() + 1);
  const d = await api(`query($from: DateTime!, $to: DateTime!) { taxReport(from: $from, to: $to) { rows { jurisdiction title ratePercentage
    netSales { amount currencyCode } taxCollected { amount currencyCode } taxDue { amount currencyCode } } } }`,
  { from: `${day(from)}T00:00:00Z`, to: `${day(to)}T00:00:00Z` });
  const rows = d.taxReport.rows;
  check(rows.length >= 1, 'the tax report of the last 30 days has no row');
  const table = page.getByRole('region', { name: 'Tax report' });
  const shown = await table.locator('tbody tr').allInnerTexts();
  check(shown.length === rows.length, `the table shows ${shown.length} rows, the API ${rows.length}`);
  const fmt = await page.evaluate((rs) => rs.map((r) => [r.netSales, r.taxCollected, r.taxDue].map((m) =>
    new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currencyCode }).format(m.amount))), rows);
  rows.forEach((r, i) => {
    const cells = [r.jurisdiction, r.title, `${r.ratePercentage} %`, ...fmt[i]];
    check(cells.every((c) => shown[i].includes(c)), `row ${i}: screen "${shown[i]}" lacks API figures ${JSON.stringify(cells)}`);
  });
  figures.reportRows = rows.length;

  // The tax CSV, held 2 s: the status counts the seconds, the button waits, then the file arrives.
  slow.add('taxReportExport');
  const button = page.getByRole('button', { name: 'Download tax report CSV' });
  const taxStatus = page.locator('#tax-export-status');
  const csvStart = Date.now();
  const tax = await downloaded(page, async () => {
    await button.click();
    await taxStatus.getByText(/Preparing the tax report CSV… [1-9] s/).waitFor();
    check(await button.isDisabled(), 'the tax CSV button stays enabled while it runs');
    check(await page.getByRole('progressbar', { name: 'Preparing the tax report CSV' }).count() === 1, 'no labelled progress bar');
  });
  figures.taxCsvMs = Date.now() - csvStart;
  check(tax.first.startsWith('currency,country,region,jurisdiction,treatment,oss,tax,rate_percent,'), `tax CSV header: ${tax.first}`);
  check(tax.name === `tax-report-${day(from)}-${day(now)}.csv`, `tax CSV name: ${tax.name}`);
  await taxStatus.getByText(/Tax report CSV ready/).waitFor();
  check(await taxStatus.getAttribute('aria-live') === 'polite', 'the status region is not polite');
  slow.clear();

  // The journal: a slow export cancelled, then one in Xero's layout.
  await page.getByLabel('Format').selectOption('XERO');
  slow.add('journalExport');
  const journalStatus = page.locator('#journal-export-status');
  await page.getByRole('button', { name: 'Download journal CSV' }).click();
  await journalStatus.getByText('Preparing the XERO journal CSV').waitFor();
  await journalStatus.getByRole('button', { name: 'Cancel' }).click();
  await journalStatus.getByText('cancelled').waitFor();
  slow.clear();
  const journal = await downloaded(page, () => page.getByRole('button', { name: 'Download journal CSV' }).click());
  check(journal.first.startsWith('*Narration'), `journal CSV header: ${journal.first}`);
  await journalStatus.getByText('Journal CSV ready').waitFor();
  figures.journalCsvLines = journal.text.trim().split('\n').length - 1;

  // Settings → Tax: a one-line US rate table, read from the chosen file.
  await page.evaluate(() => { location.hash = '#/settings/tax'; });
  await page.getByRole('heading', { level: 1, name: 'Tax rates' }).waitFor();
  await page.getByLabel(/US rate table/).setInputFiles({ name: 'ohio.csv', mimeType: 'text/csv', buffer: Buffer.from(
    'State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,EstimatedCityRate,EstimatedSpecialRate,RiskLevel\n'
    + 'OH,43215,FRANKLIN COUNTY,0.075000,0.057500,0.012500,0.000000,0.005000,1\n') });
  await page.getByRole('button', { name: 'Import rates' }).click();
  await page.locator('#tax-import-status').getByText('1 imported.').waitFor();
  const rates = await api(`{ taxRates(first: 100) { nodes { countryCode provinceCode zipPrefix rate } } }`);
  check(rates.taxRates.nodes.some((r) => r.provinceCode === 'OH' && r.zipPrefix === '43215'), 'the imported Ohio rate is not in the API');

  check(x.errors.length === 0, `console errors: ${x.errors.join('; ')}`);
}

// phone: the report on a 390-pixel screen, without sideways scrolling of the page.
export async function phone() {
  const x = await session({ width: 390, height: 844 });
  const { page } = x;
  try {
    await signIn(page, process.env.OWNER_EMAIL, process.env.OWNER_PASSWORD);
    await screen(page, 'reports (phone)', '#/reports', 'Reports');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `reports on a phone scroll sideways by ${overflow}px`);
    check(x.errors.length === 0, `console errors: ${x.errors.join('; ')}`);
  } finally {
    await x.close();
  }
}
