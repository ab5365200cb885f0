// Drives the staff dashboard in headless Chromium (Debian's, through playwright-core; Playwright cannot
// download its own browsers here) against a running Emporium, as integration/admin_ui_test.go starts
// it. It prints one JSON line of figures and exits non-zero on the first failed check.
//
//   EMPORIUM_URL=http://127.0.0.1:8080 OWNER_EMAIL=… OWNER_PASSWORD=… READER_EMAIL=… READER_PASSWORD=… node run.mjs
//
// With SCREENSHOTS=<directory> it also saves a picture of each screen there.
import { browser, figures } from './lib.mjs';
import * as basics from './flows/basics.mjs';
import * as orders from './flows/orders.mjs';
import * as products from './flows/products.mjs';
import * as store from './flows/store.mjs';
import * as settings from './flows/settings.mjs';
import * as reports from './flows/reports.mjs';

// The flow runs end to end: a product created in the browser is ordered through the storefront,
// then fulfilled, refunded and checked on screen (orders.owner).
let created;

// flows run in order; a flow signs in as whom it needs and fails the run by throwing.
const flows = [basics.owner, basics.reader,
  async () => { created = await products.createProduct(); },
  () => orders.owner({ handle: created.handle }),
  orders.reader, products.archiveProduct, store.owner, store.phone,
  settings.owner, settings.reader, settings.phone, reports.owner, reports.phone];

try {
  for (const flow of flows) await flow();
  console.log(JSON.stringify(figures));
} finally {
  await browser.close();
}
