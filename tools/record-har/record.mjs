// Records real Chromium DevTools HAR exports, with what Chromium did, for cors-tui's tests.
//
//   node --experimental-websocket tools/record-har/record.mjs [out-dir]
//
// Starts the pages and servers below on 127.0.0.1, runs each page in headless Chromium, and
// exports the page's network log twice with the HAR writer of Chromium's own bundled DevTools
// front-end: plain and sanitized (what "Export HAR (sanitized)" writes). Beside each pair it
// writes the ground truth: every fetch's result as the page's script saw it, the console lines,
// and the CORS issues DevTools raised. No dependencies: Node 20+ and Debian's `chromium`.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PAGE, PAGES, sleep, startServers, until } from './site.mjs';
import { RpcSocket } from './socket.mjs';

const OUT = process.argv[2] ?? 'tests/fixtures/chromium';
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const DEVTOOLS_PORT = 41090;

if (typeof WebSocket === 'undefined') {
  console.error('this Node has no WebSocket: run it with node --experimental-websocket (Node 20) or Node 22+');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Chromium and the DevTools protocol.

class Cdp extends RpcSocket {
  constructor(url) {
    super(url, (d) => ({
      id: d.id,
      result: d.result,
      error: d.error && `${d.error.message} (${JSON.stringify(d.error)})`,
      event: d.method !== undefined,
    }));
  }
  send(method, params = {}, sessionId = undefined) {
    return this.call({ method, params, sessionId });
  }
  async evaluate(sessionId, expression) {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }
}

/**
 * Links each fetch with what the browser did for it: its request (and redirect hops, which keep
 * the request's id), its preflights, how it failed, its console lines and its CORS issue.
 */
function attribute(results, requests, consoleLines, issues) {
  const used = new Set();
  for (const result of results) {
    const main = requests.find((r) => !used.has(r.id) && ['Fetch', 'Image', 'Script'].includes(r.type) && r.urls[0] === result.url);
    if (!main) continue;
    used.add(main.id);
    const ids = new Set([main.id]);
    const preflights = requests.filter((r) => r.initiator?.type === 'preflight' && r.initiator.request_id === main.id);
    for (const p of preflights) ids.add(p.id);
    const named = (text) => main.urls.some((u) => text.includes(`'${u}'`));
    result.browser = {
      urls: main.urls,
      statuses: main.statuses,
      from_disk_cache: !!main.from_disk_cache,
      preflights: preflights.map((p) => ({ url: p.urls[0], statuses: p.statuses, failed: p.failed })),
      failed: main.failed,
      console: consoleLines.filter((c) => ids.has(c.request_id) || named(c.text)).map((c) => c.text),
      cors_issues: issues.filter((i) => ids.has(i.request_id) && i.cors_error).map((i) => i.cors_error),
      ...(issues.some((i) => ids.has(i.request_id) && i.error_type)
        ? { other_issues: issues.filter((i) => ids.has(i.request_id) && i.error_type).map((i) => i.error_type) }
        : {}),
    };
  }
}

/** One page in a fresh browser: no preflight or HTTP cache carried over from another page. */
async function recordPage(page) {
  const profile = mkdtempSync(join(tmpdir(), 'cors-tui-record-'));
  const browser = spawn(CHROMIUM, [
    '--headless=new', '--no-sandbox', '--no-first-run', '--disable-extensions',
    `--remote-debugging-port=${DEVTOOLS_PORT}`, '--remote-allow-origins=*',
    `--user-data-dir=${profile}`,
    ...(page.publicPage ? [`--ip-address-space-overrides=127.0.0.1:${new URL(PAGE).port}=public`] : []),
    'about:blank',
  ], { stdio: 'ignore' });
  try {
    const version = await until('Chromium', async () => (await fetch(`http://127.0.0.1:${DEVTOOLS_PORT}/json/version`)).json());
    const cdp = new Cdp(version.webSocketDebuggerUrl);
    await cdp.open();
    const { targetInfos } = await cdp.send('Target.getTargets');
    const tab = targetInfos.find((t) => t.type === 'page');
    const tabSession = (await cdp.send('Target.attachToTarget', { targetId: tab.targetId, flatten: true })).sessionId;

    const consoleLines = [];
    const issues = [];
    const network = new Map(); // requestId → what the browser did for it
    const request = (id) => {
      if (!network.has(id)) network.set(id, { id, urls: [], statuses: [], type: null, initiator: null, failed: null });
      return network.get(id);
    };
    cdp.on((event) => {
      if (event.sessionId !== tabSession) return;
      const p = event.params;
      if (event.method === 'Network.requestWillBeSent') {
        const r = request(p.requestId);
        if (p.redirectResponse) r.statuses.push(p.redirectResponse.status);
        r.urls.push(p.request.url);
        r.method = p.request.method;
        r.type = p.type ?? r.type;
        r.initiator = { type: p.initiator.type, request_id: p.initiator.requestId ?? null };
      } else if (event.method === 'Network.responseReceived') {
        request(p.requestId).statuses.push(p.response.status);
        request(p.requestId).from_disk_cache = !!p.response.fromDiskCache;
      } else if (event.method === 'Network.loadingFailed') {
        request(p.requestId).failed = { error_text: p.errorText, cors_error: p.corsErrorStatus?.corsError ?? null };
      } else if (event.method === 'Log.entryAdded') {
        const e = p.entry;
        consoleLines.push({ source: e.source, level: e.level, text: e.text, url: e.url ?? null, request_id: e.networkRequestId ?? null });
      } else if (event.method === 'Runtime.consoleAPICalled') {
        consoleLines.push({ source: 'console-api', level: event.params.type, text: event.params.args.map((a) => a.value ?? a.description).join(' '), url: null });
      } else if (event.method === 'Audits.issueAdded' && event.params.issue.details.genericIssueDetails) {
        const d = event.params.issue.details.genericIssueDetails;
        issues.push({ error_type: d.errorType, url: d.request?.url ?? null, request_id: d.request?.requestId ?? null });
      } else if (event.method === 'Audits.issueAdded' && event.params.issue.code === 'CorsIssue') {
        const d = event.params.issue.details.corsIssueDetails;
        issues.push({
          cors_error: d.corsErrorStatus.corsError,
          failed_parameter: d.corsErrorStatus.failedParameter,
          is_warning: d.isWarning,
          url: d.request.url,
          initiator_origin: d.initiatorOrigin ?? null,
          request_id: d.request.requestId ?? null,
        });
      }
    });
    await cdp.send('Log.enable', {}, tabSession);
    await cdp.send('Runtime.enable', {}, tabSession);
    await cdp.send('Audits.enable', {}, tabSession);
    await cdp.send('Network.enable', {}, tabSession);

    // Chromium's own DevTools front-end, attached to the tab before the page loads: its network
    // log is what the Network panel exports.
    const frontendUrl = `devtools://devtools/bundled/devtools_app.html?ws=127.0.0.1:${DEVTOOLS_PORT}/devtools/page/${tab.targetId}`;
    const { targetId: frontend } = await cdp.send('Target.createTarget', { url: frontendUrl });
    const frontendSession = (await cdp.send('Target.attachToTarget', { targetId: frontend, flatten: true })).sessionId;
    await until('the DevTools front-end', () => cdp.evaluate(frontendSession, `(async () => {
      const Logs = await import('./models/logs/logs.js');
      return !!Logs.NetworkLog.NetworkLog.instance();
    })()`));
    await sleep(1500);

    await cdp.send('Page.enable', {}, tabSession);
    await cdp.send('Page.navigate', { url: `${PAGE}/${page.name}.html` }, tabSession);
    await until(`${page.name}.html to finish its fetches`, () => cdp.evaluate(tabSession, 'window.__done === true'));
    await sleep(1500); // the last console lines and network events reach both clients
    const results = await cdp.evaluate(tabSession, 'window.__results');
    attribute(results, [...network.values()], consoleLines, issues);

    const exportHar = (sanitize) => cdp.evaluate(frontendSession, `(async () => {
      const Logs = await import('./models/logs/logs.js');
      const HAR = await import('./models/har/har.js');
      const progress = { createSubProgress: () => ({ title: '', totalWork: 0, worked: 0, done: false, canceled: false }) };
      const requests = Logs.NetworkLog.NetworkLog.instance().requests().slice();
      return HAR.Writer.Writer.harStringForRequests(requests, { sanitize: ${sanitize} }, progress);
    })()`);
    const plain = await exportHar(false);
    const sanitized = await exportHar(true);
    const browserVersion = (await cdp.send('Browser.getVersion')).product;
    await cdp.send('Browser.close').catch(() => {});
    return { plain, sanitized, results, consoleLines, issues, browserVersion };
  } finally {
    browser.kill();
    await sleep(300);
    rmSync(profile, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const stopServers = await startServers();

try {
  mkdirSync(OUT, { recursive: true });
  // Names after the folder record only those pages.
  const only = process.argv.slice(3);
  for (const page of PAGES.filter((p) => only.length === 0 || only.includes(p.name))) {
    const r = await recordPage(page);
    writeFileSync(join(OUT, `${page.name}.har`), r.plain);
    writeFileSync(join(OUT, `${page.name}.sanitized.har`), r.sanitized);
    const truth = {
      recorded_with: r.browserVersion,
      page: `${PAGE}/${page.name}.html`,
      title: page.title,
      fetches: r.results,
      console: r.consoleLines,
      cors_issues: r.issues.filter((i) => i.cors_error),
      ...(r.issues.some((i) => i.error_type) ? { other_issues: r.issues.filter((i) => i.error_type) } : {}),
    };
    writeFileSync(join(OUT, `${page.name}.truth.json`), `${JSON.stringify(truth, null, 2)}\n`);
    console.log(`${page.name}: ${r.results.length} fetches, ${r.consoleLines.length} console lines, ${r.issues.filter((i) => i.cors_error).length} CORS issues (${r.browserVersion})`);
  }
} finally {
  stopServers();
}
process.exit(0);
