// Runs every graphql-http server audit against a GraphQL-over-HTTP endpoint and exits non-zero
// unless all of them pass. Usage: node audit.mjs http://127.0.0.1:8080/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

// A hung request must fail the run rather than hang it.
const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, signal: AbortSignal.timeout(10_000) });

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
// One at a time, so that the output is in the suite's order and a failure is easy to reproduce.
for (const { id, name, fn } of serverAudits({ url, fetchFn })) {
  let result;
  try {
    result = await fn();
  } catch (err) {
    // graphql-http throws, rather than reporting, what it considers fatal (e.g. a network error).
    result = { id, name, status: 'error', reason: `audit threw: ${err?.stack ?? err}` };
  }
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  let line = `${result.status.padEnd(6)} ${id}  ${name}`;
  if (result.status !== 'ok') {
    line += `\n       reason: ${result.reason}`;
    if (result.response) {
      line += ` (got HTTP ${result.response.status}, content-type ${result.response.headers.get('content-type')})`;
    }
  }
  console.log(line);
}

const total = Object.values(counts).reduce((a, b) => a + b, 0);
console.log(
  `\n${total} audits: ${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ${counts.error} error`,
);
process.exit(counts.ok === total ? 0 : 1);
