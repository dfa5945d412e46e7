// How an explorer in its projector view fits the visible notebook area (the browser test
// tests/test_browser_projector.py): where the named controls, the step's heading and its
// grids are, how tall the explorer must be to show them all, the smallest number's type,
// what scrolls inside it, and where the view toggle sits (relative to the explorer).
(explorer, labels) => {
  const area = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')
    .getBoundingClientRect();
  const box = explorer.getBoundingClientRect();
  const inside = (r) => r.width > 0 && r.top >= area.top - 1 && r.bottom <= area.bottom + 1
    && r.left >= area.left - 1 && r.right <= area.right + 1;
  const focus = explorer.querySelector('.dlviz-focus');
  const marked = focus.querySelector('[data-step]');
  const grids = [...focus.querySelectorAll('table[data-name]')];
  const cells = grids.flatMap((t) => [...t.querySelectorAll('td')]);
  const shown = [...focus.querySelectorAll('div, table')].filter((e) => e.getClientRects().length);
  const tables = [...focus.querySelectorAll('table')].filter((e) => e.getClientRects().length);
  const controls = labels.map((text) => {
    const label = [...explorer.querySelectorAll('label, .widget-label')]
      .find((l) => l.textContent.trim() === text);
    const r = label && label.getBoundingClientRect();
    return {text, found: !!label, inside: !!label && inside(r), bottom: r ? r.bottom : 0};
  });
  const scrolling = [...explorer.querySelectorAll('*')].filter((e) => {
    const style = getComputedStyle(e);
    return /(auto|scroll)/.test(style.overflowY + style.overflowX)
      && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1);
  }).map((e) => e.className);
  const toggle = [...explorer.querySelectorAll('.widget-toggle-buttons')]
    .find((t) => /projector/.test(t.textContent));
  const t = toggle && toggle.getBoundingClientRect();
  // The height the explorer needs, from its top: to the lowest control, heading or grid.
  const bottoms = [...shown.map((e) => e.getBoundingClientRect().bottom),
    ...controls.map((c) => c.bottom)];
  const rights = tables.map((e) => e.getBoundingClientRect().right);
  return {
    step: marked ? Number(marked.dataset.step) : null,
    area: [area.top, area.bottom, area.left, area.right],
    needed: Math.round(Math.max(...bottoms) - box.top),
    available: Math.round(area.bottom - box.top),
    widest: Math.round(Math.max(...rights) - box.left),
    room: Math.round(Math.min(area.right, focus.getBoundingClientRect().right) - box.left),
    grids: grids.map((g) => ({name: g.dataset.name, inside: inside(g.getBoundingClientRect())})),
    heading: inside(focus.getBoundingClientRect()),
    smallest: Math.min(...cells.map((c) => parseFloat(getComputedStyle(c).fontSize))),
    controls, scrolling,
    toggle: t ? [Math.round(t.left - box.left), Math.round(t.top - box.top)] : null,
  };
}
