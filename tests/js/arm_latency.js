// Arm a measurement of the next key press (called on the explorer's element):
// `window.__dlvizLatency` resolves with times in ms after the keydown event (seen in
// the capture phase, before any handler): `grid` when the table's text changed,
// `paint` after the next frame, `src` when the picture's source changed, `load` when
// the new picture had loaded, and the kernel messages in between. It resolves once
// all of these happened and the kernel went idle, or after `timeout` ms.
(root, { grid, image, timeout }) => {
  const tableSelector = `table[data-name="${grid}"]`;
  const table = root.querySelector(tableSelector);
  if (!table) throw new Error(`no ${tableSelector} in the explorer`);
  const img = image ? root.querySelector(image) : null;
  if (image && !img) throw new Error(`no ${image} in the explorer`);
  const gridBefore = table.textContent;
  const srcBefore = img ? img.src : null;
  const ws = window.__dlvizWs || null;
  const r = { t0: null, grid: null, paint: null, src: null, load: null };
  let finished = false;
  window.__dlvizLatency = new Promise((resolve) => {
    const now = () => performance.now();
    const kernelIdle = () => {
      if (!ws) return true;
      const out = ws.events.findIndex((e) => e.dir === 'out' && e.type === 'comm_msg');
      return out >= 0 && ws.events.slice(out).some(
        (e) => e.dir === 'in' && e.type === 'status' && e.status === 'idle');
    };
    const finish = (timedOut) => {
      if (finished) return;
      finished = true;
      observer.disconnect();
      clearTimeout(timer);
      const rel = (t) => (t === null || r.t0 === null ? null : t - r.t0);
      let events = [];
      if (ws) {
        ws.on = false;
        ws.onEvent = null;
        events = ws.events.map((e) => ({ ...e, t: rel(e.t) }));
      }
      const current = root.querySelector(tableSelector);
      resolve({ grid: rel(r.grid), paint: rel(r.paint), src: rel(r.src), load: rel(r.load),
                timedOut, gridText: current ? current.textContent : null, events });
    };
    const check = () => {
      if (finished || r.t0 === null) return;
      const current = root.querySelector(tableSelector);
      if (r.grid === null && current && current.textContent !== gridBefore) {
        r.grid = now();
        // The frame that shows it: once the next animation frame has been painted.
        requestAnimationFrame(() => setTimeout(() => { r.paint = now(); check(); }, 0));
      }
      if (img && r.src === null && img.src !== srcBefore) {
        r.src = now();
        img.decode().catch(() => null).then(() => { r.load = now(); check(); });
      }
      if (r.paint !== null && (!img || r.load !== null) && kernelIdle()) finish(false);
    };
    const observer = new MutationObserver(check);
    observer.observe(root, { subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ['src'] });
    document.addEventListener('keydown', () => {
      r.t0 = now();
      if (ws) { ws.events = []; ws.on = true; ws.onEvent = check; }
    }, { capture: true, once: true });
    const timer = setTimeout(() => finish(true), timeout);
  });
  return true;
}
