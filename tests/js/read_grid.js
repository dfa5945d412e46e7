// The text of each cell of the first table[data-name=name] under root, by row (or null).
(root, name) => {
  const table = root.querySelector(`table[data-name="${name}"]`);
  if (!table) return null;
  const cells = [...table.querySelectorAll('td[data-row][data-col]')];
  const rows = Math.max(-1, ...cells.map((c) => +c.dataset.row)) + 1;
  const cols = Math.max(-1, ...cells.map((c) => +c.dataset.col)) + 1;
  const grid = Array.from({ length: rows }, () => Array(cols).fill(''));
  for (const c of cells) grid[+c.dataset.row][+c.dataset.col] = c.textContent.trim();
  return grid;
}
