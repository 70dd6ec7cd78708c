// Observes Chromium's resource policies for no-cors loads: which loads an answer's
// Cross-Origin-Resource-Policy refuses (from another origin on the same address, another host
// on the same site, another site), and what a page's Cross-Origin-Embedder-Policy
// (require-corp, credentialless) asks of the answers to its loads from another site.
//
//   node --experimental-websocket tools/observe/resource-policies.mjs [out-dir]
//
// Writes cross-origin-resource-policy.observed.json and cross-origin-embedder-policy.observed.json
// in tests/fixtures/chromium/. Node 20+ and Debian's chromium.

import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { consoleFor, observePage } from './chromium.mjs';

const OUT = process.argv[2] ?? 'tests/fixtures/chromium';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const HOSTS = ['--host-resolver-rules=MAP *.example.com 127.0.0.1, MAP *.example.net 127.0.0.1'];

// The page (sent with ?coep= as its Cross-Origin-Embedder-Policy) loads /r from ?target= each
// way in `vias`, with each Cross-Origin-Resource-Policy in `corps`; the answer allows every
// origin by CORS and is a PNG, a script or text, as the load needs.
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/page.html') {
    const headers = { 'Content-Type': 'text/html' };
    if (u.searchParams.get('coep')) headers['Cross-Origin-Embedder-Policy'] = u.searchParams.get('coep');
    res.writeHead(200, headers);
    return res.end(page(u.searchParams.get('target'), JSON.parse(u.searchParams.get('corps')), JSON.parse(u.searchParams.get('vias'))));
  }
  const headers = { 'Access-Control-Allow-Origin': '*' };
  const corp = u.searchParams.get('corp');
  if (corp) headers['Cross-Origin-Resource-Policy'] = corp;
  const via = u.searchParams.get('via');
  if (via === 'script') { headers['Content-Type'] = 'text/javascript'; res.writeHead(200, headers); return res.end('1;'); }
  if (via?.startsWith('img')) { headers['Content-Type'] = 'image/png'; res.writeHead(200, headers); return res.end(PNG); }
  headers['Content-Type'] = 'text/plain'; res.writeHead(200, headers); res.end('hello');
});
const page = (target, corps, vias) => `<!doctype html><body><script>
window.__results = {};
(async () => {
  for (const corp of ${JSON.stringify(corps)}) for (const via of ${JSON.stringify(vias)}) {
    const url = '${target}/r?via=' + via + (corp ? '&corp=' + encodeURIComponent(corp) : '');
    let saw;
    if (via === 'no-cors' || via === 'cors') {
      try { const r = await fetch(url, { mode: via }); saw = 'resolved ' + r.type + ' ' + r.status; } catch (e) { saw = 'rejected ' + e; }
    } else {
      saw = await new Promise((done) => { const el = via.startsWith('img') ? new Image() : document.createElement('script'); if (via === 'img-anon') el.crossOrigin = 'anonymous';
        el.onload = () => done('load'); el.onerror = () => done('error'); el.src = url; if (via === 'script') document.body.appendChild(el); });
    }
    window.__results[url] = saw;
  }
  window.__done = true;
})();
</script>`;
server.listen(41320, '127.0.0.1'); createServer(server.listeners('request')[0]).listen(41321, '127.0.0.1');

/** Runs each [page, target, relation] and lists every load; `coep`: relation is the page's policy. */
async function observe({ runs, corps, vias, coep }) {
  const cases = [];
  let version;
  for (const [at, target, relation] of runs) {
    const query = new URLSearchParams({ target, corps: JSON.stringify(corps), vias: JSON.stringify(vias), ...(coep ? { coep: relation } : {}) });
    const run = await observePage(`${at}/page.html?${query}`, { port: 41193, flags: HOSTS });
    version = run.version;
    for (const corp of corps) for (const via of vias) {
      const url = `${target}/r?via=${via}` + (corp ? `&corp=${encodeURIComponent(corp)}` : '');
      const issue = run.issues[url];
      cases.push({ page: at, target, relation, via, corp, page_saw: run.seen[url], network_error: run.failed[url]?.[0] ?? null,
        blocked_reason: run.failed[url]?.[1] ?? null, issue: issue ? `${issue.code}:${issue.detail}` : null, console: consoleFor(run.logs, url) });
    }
  }
  return { cases, version };
}

const today = new Date().toISOString().slice(0, 10);
const fields = "page_saw is the load or error event, or how the promise settled; network_error and blocked_reason are DevTools' Network.loadingFailed; issue is the DevTools issue raised; console holds Chromium's own console lines for the URL. Recorded with tools/observe/resource-policies.mjs.";

const corp = await observe({
  runs: [
    ['http://127.0.0.1:41320', 'http://127.0.0.1:41321', 'same address, another port'],
    ['http://app.example.com:41320', 'http://api.example.com:41321', 'same site'],
    ['http://app.example.com:41320', 'http://cdn.example.net:41321', 'another site'],
  ],
  corps: [null, 'same-origin', 'same-site', 'cross-origin', 'Same-Origin', 'same-origin, cross-origin', 'bogus'],
  vias: ['img', 'script', 'no-cors', 'cors'],
  coep: false,
});
writeFileSync(join(OUT, 'cross-origin-resource-policy.observed.json'), JSON.stringify({
  observed: `Headless ${corp.version} (Debian), ${today}. Each page loaded an answer from the target (Access-Control-Allow-Origin: *, and the Cross-Origin-Resource-Policy given, if any) four ways: an <img> (a PNG) and a <script> (text/javascript) without crossorigin, fetch() with mode: 'no-cors', and fetch() in cors mode (text/plain). Names map to 127.0.0.1 (--host-resolver-rules). ${fields}`,
  cases: corp.cases,
}, null, 1) + '\n');

const coep = await observe({
  runs: [
    ['http://127.0.0.1:41320', 'http://localhost:41321', 'require-corp'],
    ['http://127.0.0.1:41320', 'http://localhost:41321', 'credentialless'],
  ],
  corps: [null, 'same-origin', 'same-site', 'cross-origin'],
  vias: ['img', 'img-anon', 'script', 'no-cors', 'cors'],
  coep: true,
});
writeFileSync(join(OUT, 'cross-origin-embedder-policy.observed.json'), JSON.stringify({
  observed: `Headless ${coep.version} (Debian), ${today}. A page at http://127.0.0.1:41320, sent with the Cross-Origin-Embedder-Policy named in relation, loaded an answer from http://localhost:41321 (another site; Access-Control-Allow-Origin: *, and the Cross-Origin-Resource-Policy given, if any) five ways: an <img> (a PNG) without and with crossorigin=anonymous, a <script> (text/javascript) without crossorigin, fetch() with mode: 'no-cors', and fetch() in cors mode (text/plain). ${fields}`,
  cases: coep.cases,
}, null, 1) + '\n');
process.exit(0);
