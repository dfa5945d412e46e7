// Outputs where a widget failed to show.
() => [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')]
  .map((o) => o.textContent.trim())
  .filter((t) => /^(Error displaying widget|Error rendering|Failed to load model)/.test(t))
