// The input prompt of every code cell: [ ] not run, [*] running, [3] done.
() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map((cell) => {
  const prompt = cell.querySelector('.jp-InputPrompt');
  return prompt ? prompt.textContent.trim() : '';
})
