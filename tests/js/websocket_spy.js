// Installed before the page's own scripts: note when each kernel message leaves or
// arrives on a kernel's WebSocket, with its channel and type (JupyterLab 4 speaks the
// binary v1 kernel protocol: a count, offsets, then channel, header, parent, metadata,
// content as JSON). Only while `window.__dlvizWs.on` is set, so memory stays small.
(() => {
  const log = { on: false, events: [], onEvent: null };
  window.__dlvizWs = log;
  const text = new TextDecoder();
  function describe(data) {
    try {
      if (typeof data === 'string') {
        const m = JSON.parse(data);
        return { channel: m.channel || '', type: (m.header || {}).msg_type || '',
                 method: ((m.content || {}).data || {}).method || '',
                 status: (m.content || {}).execution_state || '' };
      }
      const buffer = data instanceof ArrayBuffer ? data : data.buffer;
      const view = new DataView(buffer);
      const n = Number(view.getBigUint64(0, true));
      const offsets = [];
      for (let i = 0; i < n; i++) offsets.push(Number(view.getBigUint64(8 * (i + 1), true)));
      offsets.push(buffer.byteLength);
      const part = (i) =>
        text.decode(new Uint8Array(buffer, offsets[i], offsets[i + 1] - offsets[i]));
      const header = JSON.parse(part(1));
      const out = { channel: part(0), type: header.msg_type || '', method: '', status: '' };
      if (out.type === 'status') {
        out.status = JSON.parse(part(4)).execution_state || '';
      } else if (out.type === 'comm_msg') {
        // Only the method, near the start ({"comm_id": …, "data": {"method": …, "state"…):
        // parsing the whole update again would add the page's own work a second time.
        const head = new Uint8Array(buffer, offsets[4], Math.min(200, offsets[5] - offsets[4]));
        const found = /"method":\s*"(\w+)"/.exec(text.decode(head));
        out.method = found ? found[1] : '';
      }
      return out;
    } catch (e) {
      return { channel: '?', type: '?', method: '', status: '' };
    }
  }
  const Native = window.WebSocket;
  class SpiedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      this.__dlvizKernel = String(args[0]).includes('/api/kernels/');
      this.addEventListener('message', (event) => {
        if (!log.on || !this.__dlvizKernel) return;
        log.events.push({ t: performance.now(), dir: 'in', ...describe(event.data) });
        if (log.onEvent) log.onEvent();
      });
    }
    send(data) {
      if (log.on && this.__dlvizKernel) {
        log.events.push({ t: performance.now(), dir: 'out', ...describe(data) });
      }
      return super.send(data);
    }
  }
  window.WebSocket = SpiedWebSocket;
})();
