// Observes Chromium's Opaque Response Blocking: which answers to no-cors loads it withholds.
//
//   node --experimental-websocket tools/observe/opaque-response-blocking.mjs [out.json]
//
// Serves each answer below (status, Content-Type, nosniff, body) from 127.0.0.1:41311 to a page
// on 127.0.0.1:41310, loads it three ways (<img>, <script>, fetch() with mode: 'no-cors') in
// headless Chromium, and writes what the page saw and what DevTools reported for each load:
// tests/fixtures/chromium/opaque-response-blocking.observed.json. Node 20+ and Debian's chromium.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
const OUT = process.argv[2] ?? 'tests/fixtures/chromium/opaque-response-blocking.observed.json';
import { consoleFor, observePage } from './chromium.mjs';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const BODIES = {
  s3_error_xml: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
  json_object: '{"error":"nope","items":[1,2,3]}',
  json_object_after_whitespace: '  \n {"a": 1}',
  json_array: '[1,2,3]',
  json_string: '"just a string"',
  json_number: '42',
  html_document: '<!DOCTYPE html><html><body>Not found</body></html>',
  html_paragraph: '<p>hello</p>',
  html_after_comment: '<!-- hi --><p>x</p>',
  xml_without_declaration: '<Error><Code>AccessDenied</Code></Error>',
  parser_breaker: ")]}'\n{\"a\":1}",
  plain_text: 'hello world, just text',
  javascript: 'console.log("hi");',
  svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
  csv: 'a,b\n1,2\n',
  png: PNG,
  empty: '',
};
const CASES = [
  // [status, content type or null, nosniff, body]
  [403, 'application/xml', false, 's3_error_xml'],
  [200, 'application/xml', false, 's3_error_xml'],
  [200, 'application/xml', false, 'xml_without_declaration'],
  [200, 'text/plain', false, 'xml_without_declaration'],
  [200, 'binary/octet-stream', false, 's3_error_xml'],
  [200, 'application/json', false, 'json_object'],
  [200, 'application/json; charset=utf-8', false, 'json_object'],
  [200, 'application/ld+json', false, 'json_object'],
  [200, 'text/json', false, 'json_object'],
  [500, 'application/json', false, 'json_object'],
  [200, 'application/json', false, 'json_array'],
  [200, 'application/json', false, 'json_string'],
  [200, 'application/json', false, 'json_number'],
  [200, 'application/json', false, 'empty'],
  [204, 'application/json', false, 'empty'],
  [200, 'application/json', true, 'json_object'],
  [200, null, false, 'json_object'],
  [404, null, false, 'json_object'],
  [404, null, false, 'plain_text'],
  [200, 'application/octet-stream', false, 'json_object'],
  [200, 'application/octet-stream', false, 'png'],
  [200, 'binary/octet-stream', false, 'plain_text'],
  [200, 'text/plain', false, 'json_object'],
  [200, 'text/plain', false, 'json_object_after_whitespace'],
  [200, 'text/plain', false, 'json_array'],
  [200, 'text/plain', false, 'plain_text'],
  [403, 'text/plain', false, 'plain_text'],
  [200, 'text/plain', true, 'plain_text'],
  [200, 'text/plain', false, 'html_paragraph'],
  [200, 'text/plain', false, 'html_after_comment'],
  [200, 'text/plain', false, 'parser_breaker'],
  [200, 'text/html', false, 'html_document'],
  [404, 'text/html', false, 'html_document'],
  [200, 'text/html', false, 'empty'],
  [200, 'image/png', false, 'png'],
  [403, 'image/png', false, 'png'],
  [404, 'image/png', false, 'png'],
  [200, 'image/png', true, 'png'],
  [200, 'image/png', false, 'plain_text'],
  [200, 'image/png', false, 'json_object'],
  [200, 'image/svg+xml', false, 'svg'],
  [200, 'text/css', false, 'plain_text'],
  [200, 'text/javascript', false, 'javascript'],
  [403, 'text/javascript', false, 'javascript'],
  [200, 'application/pdf', false, 'plain_text'],
  [200, 'application/zip', false, 'plain_text'],
  [200, 'application/x-protobuf', false, 'plain_text'],
  [200, 'application/msword', false, 'plain_text'],
  [200, 'text/csv', false, 'csv'],
  [200, 'text/event-stream', false, 'plain_text'],
];
const key = (c) => `s=${c[0]}&ct=${encodeURIComponent(c[1] ?? '')}&ns=${c[2] ? 1 : 0}&b=${c[3]}`;
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/page.html') { res.writeHead(200, { 'Content-Type': 'text/html' }); return res.end(PAGE); }
  if (u.pathname !== '/r') { res.writeHead(404); return res.end(); }
  const headers = {};
  if (u.searchParams.get('ct')) headers['Content-Type'] = u.searchParams.get('ct');
  if (u.searchParams.get('ns') === '1') headers['X-Content-Type-Options'] = 'nosniff';
  const body = BODIES[u.searchParams.get('b')];
  res.writeHead(+u.searchParams.get('s'), headers);
  res.end(body);
});
const VIAS = ['img', 'script', 'no-cors'];
const PAGE = `<!doctype html><script>
const CASES = ${JSON.stringify(CASES.map(key))};
window.__results = {};
(async () => {
  for (const q of CASES) {
    for (const via of ${JSON.stringify(VIAS)}) {
      const url = 'http://127.0.0.1:41311/r?via=' + via + '&' + q;
      let saw;
      if (via === 'no-cors') {
        try { const r = await fetch(url, { mode: 'no-cors' }); saw = 'resolved ' + r.type + ' ' + r.status; } catch (e) { saw = 'rejected ' + e; }
      } else {
        saw = await new Promise((done) => {
          const el = via === 'img' ? new Image() : document.createElement('script');
          el.onload = () => done('load'); el.onerror = () => done('error');
          el.src = url; if (via === 'script') document.body.appendChild(el);
        });
      }
      window.__results[url] = saw;
    }
  }
  window.__done = true;
})();
</script><body></body>`;
server.listen(41310, '127.0.0.1');
const server2 = createServer(server.listeners('request')[0]); server2.listen(41311, '127.0.0.1');
const { seen, failed, issues, logs, version } = await observePage('http://127.0.0.1:41310/page.html', { port: 41192 });
const cases = [];
for (const c of CASES) for (const via of VIAS) {
  const url = `http://127.0.0.1:41311/r?via=${via}&${key(c)}`;
  const console = consoleFor(logs, url);
  cases.push({ via, status: c[0], content_type: c[1], nosniff: c[2], body: c[3], page_saw: seen[url],
    network_error: failed[url]?.[0] ?? null, issue: issues[url]?.detail ?? null, ...(console.length ? { console } : {}) });
}
const bodies = Object.fromEntries(Object.entries(BODIES).filter(([name]) => name !== 'png'));
const observed = `Headless ${version} (Debian), ${new Date().toISOString().slice(0, 10)}. A page at http://127.0.0.1:41310 loaded each answer from http://127.0.0.1:41311 (another origin) three ways: an <img> and a <script> without crossorigin, and fetch() with mode: 'no-cors'. The server answered with the status, Content-Type, X-Content-Type-Options: nosniff (when nosniff is true) and body given. page_saw is the element's load or error event, or how the fetch promise settled; network_error is DevTools' Network.loadingFailed errorText; issue is the DevTools issue raised (ResponseWasBlockedByORB); console holds Chromium's own console lines for the URL. Recorded with tools/observe/opaque-response-blocking.mjs.`;
writeFileSync(OUT, JSON.stringify({ observed, bodies, png: 'a 1x1 PNG (67 bytes), which a scenario\'s text body cannot hold: the simulation describes it as (67 bytes of image/png)', cases }, null, 1) + '\n');
process.exit(0);
