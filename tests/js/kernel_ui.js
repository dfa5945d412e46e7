// The kernel's state as the page shows it: the notebook's indicator and the status bar.
() => {
  const indicator = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  const bar = [...document.querySelectorAll('.jp-StatusBar-Item')]
    .map((e) => e.textContent).find((t) => / \| \w+$/.test(t)) || '';
  return { indicator: indicator ? indicator.dataset.status : null, bar };
}
