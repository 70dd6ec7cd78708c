// Observes which answers a <script> runs, by Content-Type and X-Content-Type-Options: nosniff,
// without crossorigin (no-cors) and with crossorigin="anonymous" (CORS, allowed by *).
//
//   node --experimental-websocket tools/observe/script-types.mjs [out.json]
//
// Writes tests/fixtures/chromium/script-types.observed.json. Node 20+ and Debian's chromium.

import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { consoleFor, observePage } from './chromium.mjs';

const OUT = process.argv[2] ?? 'tests/fixtures/chromium/script-types.observed.json';
const TYPES = [null, 'text/javascript', 'application/javascript', 'text/plain', 'text/html', 'application/json',
  'application/octet-stream', 'image/png', 'text/csv', 'video/mp4'];
const MODES = ['no-cors', 'cors'];
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/page.html') { res.writeHead(200, { 'Content-Type': 'text/html' }); return res.end(PAGE); }
  const headers = { 'Access-Control-Allow-Origin': '*' };
  if (u.searchParams.get('ct')) headers['Content-Type'] = u.searchParams.get('ct');
  if (u.searchParams.get('ns') === '1') headers['X-Content-Type-Options'] = 'nosniff';
  res.writeHead(200, headers);
  res.end('window.__ran = (window.__ran || 0) + 1;');
});
const PAGE = `<!doctype html><body><script>
window.__results = {};
(async () => {
  for (const ct of ${JSON.stringify(TYPES)}) for (const ns of [false, true]) for (const mode of ${JSON.stringify(MODES)}) {
    const url = 'http://127.0.0.1:41331/s?mode=' + mode + (ct ? '&ct=' + encodeURIComponent(ct) : '') + (ns ? '&ns=1' : '');
    window.__results[url] = await new Promise((done) => {
      const s = document.createElement('script');
      if (mode === 'cors') s.crossOrigin = 'anonymous';
      s.onload = () => done('load'); s.onerror = () => done('error');
      s.src = url; document.body.appendChild(s);
    });
  }
  window.__done = true;
})();
</script>`;
server.listen(41330, '127.0.0.1'); createServer(server.listeners('request')[0]).listen(41331, '127.0.0.1');
const run = await observePage('http://127.0.0.1:41330/page.html', { port: 41195 });
const cases = [];
for (const ct of TYPES) for (const ns of [false, true]) for (const mode of MODES) {
  const url = `http://127.0.0.1:41331/s?mode=${mode}` + (ct ? `&ct=${encodeURIComponent(ct)}` : '') + (ns ? '&ns=1' : '');
  cases.push({ mode, content_type: ct, nosniff: ns, page_saw: run.seen[url], network_error: run.failed[url]?.[0] ?? null, console: consoleFor(run.logs, url) });
}
writeFileSync(OUT, JSON.stringify({
  observed: `Headless ${run.version} (Debian), ${new Date().toISOString().slice(0, 10)}. A page at http://127.0.0.1:41330 loaded a script from http://127.0.0.1:41331 (another origin; Access-Control-Allow-Origin: *), its body always valid JavaScript, with the Content-Type given and X-Content-Type-Options: nosniff when nosniff is true, without crossorigin (mode no-cors) and with crossorigin="anonymous" (mode cors). page_saw is the script's load or error event; network_error is DevTools' Network.loadingFailed; console holds Chromium's lines for the URL. Recorded with tools/observe/script-types.mjs.`,
  cases,
}, null, 1) + '\n');
process.exit(0);
