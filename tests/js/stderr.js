// Every stderr output of the notebook, with its cell's number (counting every cell).
() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].flatMap((cell, index) =>
  [...cell.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map((o) => ({ cell: index + 1, text: o.textContent })))
