// What the observation scripts share: one page run in a fresh headless Chromium, watched over
// the DevTools protocol. No dependencies: Node 20+ (run with --experimental-websocket) and
// Debian's `chromium`.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens `url` in a fresh headless Chromium (with `flags`), waits for the page to set
 * `window.__done`, and returns what it saw (`window.__results`) and what DevTools reported:
 * `failed` (URL → [Network.loadingFailed errorText, blockedReason]), `issues` (URL →
 * {code, detail}), console `logs` ({text, url}) and the browser's `version`.
 */
export async function observePage(url, { port, flags = [] }) {
  const profile = mkdtempSync(join(tmpdir(), 'cors-tui-observe-'));
  const chrome = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu',
    `--remote-debugging-port=${port}`, ...flags, `--user-data-dir=${profile}`, 'about:blank'], { stdio: 'ignore' });
  try {
    await sleep(1500);
    const tab = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()).find((t) => t.type === 'page');
    const ws = new WebSocket(tab.webSocketDebuggerUrl);
    await new Promise((r) => (ws.onopen = r));
    let id = 0;
    const pending = new Map();
    const send = (method, params = {}) => new Promise((res) => {
      const i = ++id;
      pending.set(i, res);
      ws.send(JSON.stringify({ id: i, method, params }));
    });
    const urls = {}, failed = {}, issues = {}, logs = [];
    ws.onmessage = (m) => {
      const d = JSON.parse(m.data);
      if (d.id && pending.has(d.id)) { pending.get(d.id)(d.result); pending.delete(d.id); }
      if (d.method === 'Network.requestWillBeSent') urls[d.params.requestId] = d.params.request.url;
      if (d.method === 'Network.loadingFailed') failed[urls[d.params.requestId]] = [d.params.errorText, d.params.blockedReason ?? null];
      if (d.method === 'Audits.issueAdded') {
        const details = Object.values(d.params.issue.details)[0];
        const at = details?.request?.url;
        if (at) issues[at] = { code: d.params.issue.code, detail: details.reason ?? details.errorType ?? '' };
      }
      if (d.method === 'Log.entryAdded') logs.push({ text: d.params.entry.text, url: d.params.entry.url });
    };
    await send('Network.enable'); await send('Log.enable'); await send('Audits.enable'); await send('Runtime.enable');
    await send('Page.navigate', { url });
    for (;;) {
      const r = await send('Runtime.evaluate', { expression: 'window.__done === true', returnByValue: true });
      if (r?.result?.value) break;
      await sleep(200);
    }
    await sleep(800); // the last network events and issues arrive
    const seen = (await send('Runtime.evaluate', { expression: 'window.__results', returnByValue: true })).result.value;
    const version = (await send('Browser.getVersion')).product.replace('Chrome/', 'Chromium ');
    return { seen, failed, issues, logs, version };
  } finally {
    chrome.kill();
    await sleep(300);
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The console lines Chromium wrote about `url` (its own, or one that quotes it whole). */
export function consoleFor(logs, url) {
  return logs.filter((l) => l.url === url || l.text.includes(`'${url}'`)).map((l) => l.text);
}
