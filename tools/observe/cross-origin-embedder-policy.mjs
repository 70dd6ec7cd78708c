// Observes what a page's Cross-Origin-Embedder-Policy (require-corp, credentialless) asks of
// the answers to its loads from another site, with each Cross-Origin-Resource-Policy.
//
//   node --experimental-websocket tools/observe/cross-origin-embedder-policy.mjs [out.json]
//
// Writes tests/fixtures/chromium/cross-origin-embedder-policy.observed.json. Node 20+ and
// Debian's chromium.

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const OUT = process.argv[2] ?? 'tests/fixtures/chromium/cross-origin-embedder-policy.observed.json';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const CORPS = [null, 'same-origin', 'same-site', 'cross-origin'];
const VIAS = ['img', 'img-anon', 'script', 'no-cors', 'cors'];
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/page.html') { const h = { 'Content-Type': 'text/html' }; if (u.searchParams.get('coep')) h['Cross-Origin-Embedder-Policy'] = u.searchParams.get('coep'); res.writeHead(200, h); return res.end(PAGE(u.searchParams.get('target'))); }
  const headers = { 'Access-Control-Allow-Origin': '*' };
  const corp = u.searchParams.get('corp');
  if (corp) headers['Cross-Origin-Resource-Policy'] = corp;
  const via = u.searchParams.get('via');
  if (via === 'script') { headers['Content-Type'] = 'text/javascript'; res.writeHead(200, headers); return res.end('1;'); }
  if (via?.startsWith('img')) { headers['Content-Type'] = 'image/png'; res.writeHead(200, headers); return res.end(PNG); }
  headers['Content-Type'] = 'text/plain'; res.writeHead(200, headers); res.end('hello');
});
const PAGE = (target) => `<!doctype html><body><script>
const CORPS = ${JSON.stringify(CORPS)};
window.__results = {};
(async () => {
  for (const corp of CORPS) for (const via of ${JSON.stringify(VIAS)}) {
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
const out = [];
const RUNS = [
  ['http://127.0.0.1:41320', 'http://localhost:41321', 'require-corp'],
  ['http://127.0.0.1:41320', 'http://localhost:41321', 'credentialless'],
];
let version;
for (const [page, target, relation] of RUNS) {
  const dir = mkdtempSync(join(tmpdir(), 'corp-'));
  const chrome = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-port=41194', '--host-resolver-rules=MAP *.example.com 127.0.0.1, MAP *.example.net 127.0.0.1', `--user-data-dir=${dir}`, 'about:blank'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const tab = (await (await fetch('http://127.0.0.1:41194/json')).json()).find((t) => t.type === 'page');
  const ws = new WebSocket(tab.webSocketDebuggerUrl);
  await new Promise((r) => (ws.onopen = r));
  let id = 0; const pending = new Map();
  const send = (method, params = {}) => new Promise((res) => { const i = ++id; pending.set(i, res); ws.send(JSON.stringify({ id: i, method, params })); });
  const urls = {}, failed = {}, issues = {}, logs = [];
  ws.onmessage = (m) => { const d = JSON.parse(m.data);
    if (d.id && pending.has(d.id)) { pending.get(d.id)(d.result); pending.delete(d.id); }
    if (d.method === 'Network.requestWillBeSent') urls[d.params.requestId] = d.params.request.url;
    if (d.method === 'Network.loadingFailed') failed[urls[d.params.requestId]] = [d.params.errorText, d.params.blockedReason ?? null];
    if (d.method === 'Audits.issueAdded') { const det = d.params.issue.details; const v = Object.values(det)[0]; const url = v?.request?.url; if (url) issues[url] = d.params.issue.code + ':' + (v.reason ?? v.errorType ?? ''); }
    if (d.method === 'Log.entryAdded') logs.push({ text: d.params.entry.text, url: d.params.entry.url });
  };
  await send('Network.enable'); await send('Log.enable'); await send('Audits.enable'); await send('Runtime.enable');
  await send('Page.navigate', { url: `${page}/page.html?coep=${relation}&target=${encodeURIComponent(target)}` });
  for (;;) { const r = await send('Runtime.evaluate', { expression: 'window.__done === true', returnByValue: true }); if (r?.result?.value) break; await new Promise((r) => setTimeout(r, 200)); }
  await new Promise((r) => setTimeout(r, 800));
  const seen = (await send('Runtime.evaluate', { expression: 'window.__results', returnByValue: true })).result.value;
  for (const corp of CORPS) for (const via of VIAS) {
    const url = `${target}/r?via=${via}` + (corp ? `&corp=${encodeURIComponent(corp)}` : '');
    out.push({ page, target, relation, via, corp, page_saw: seen[url], network_error: failed[url]?.[0] ?? null, blocked_reason: failed[url]?.[1] ?? null, issue: issues[url] ?? null, console: logs.filter((l) => l.url === url || l.text.includes(url)).map((l) => l.text) });
  }
  version = (await send('Browser.getVersion')).product;
  chrome.kill(); await new Promise((r) => setTimeout(r, 300));
}
const observed = `Headless ${version.replace('Chrome/', 'Chromium ')} (Debian), ${new Date().toISOString().slice(0, 10)}. A page at http://127.0.0.1:41320, sent with the Cross-Origin-Embedder-Policy named in relation, loaded an answer from http://localhost:41321 (another site; Access-Control-Allow-Origin: *, and the Cross-Origin-Resource-Policy given, if any) five ways: an <img> (a PNG) without and with crossorigin=anonymous, a <script> (text/javascript) without crossorigin, fetch() with mode: 'no-cors', and fetch() in cors mode (text/plain). page_saw is the load or error event, or how the promise settled; network_error and blocked_reason are DevTools' Network.loadingFailed; issue is the DevTools issue raised; console holds Chromium's own console lines for the URL. Recorded with tools/observe/cross-origin-embedder-policy.mjs.`;
writeFileSync(OUT, JSON.stringify({ observed, cases: out }, null, 1) + '\n');
process.exit(0);
