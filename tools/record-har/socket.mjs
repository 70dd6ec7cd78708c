// A browser's debugging WebSocket: commands by id, each answered once, and events to listeners.
// The Chrome DevTools protocol and WebDriver BiDi shape their messages alike but not the same,
// so each recorder says how to read one (`read`).

export class RpcSocket {
  /**
   * `read(message)` returns `{ id, result }` or `{ id, error }` for a command's answer, and
   * `{ event: true }` for an event.
   */
  constructor(url, read) {
    this.ws = new WebSocket(url);
    this.next = 0;
    this.pending = new Map();
    this.listeners = [];
    this.ws.onmessage = (m) => {
      const message = JSON.parse(m.data);
      const r = read(message);
      if (r.id !== undefined && this.pending.has(r.id)) {
        const { resolve, reject } = this.pending.get(r.id);
        this.pending.delete(r.id);
        r.error ? reject(new Error(r.error)) : resolve(r.result);
      } else if (r.event) {
        for (const l of this.listeners) l(message);
      }
    };
  }
  open() {
    return new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = reject;
    });
  }
  /** Sends `command` with the next id; resolves to its result. */
  call(command) {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, ...command }));
    });
  }
  on(listener) {
    this.listeners.push(listener);
  }
}
