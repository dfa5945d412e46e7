// The gaps, in CSS pixels, between neighbouring column names over a HandCheck's boxes.
(checker) => {
  const names = [...checker.querySelector('.widget-gridbox').children]
    .filter((c) => c.classList.contains('widget-html') && c.textContent.trim())
    .map((c) => {
      const range = document.createRange();
      range.selectNodeContents(c);
      return range.getBoundingClientRect();
    });
  const gaps = [];
  for (let i = 1; i < names.length; i++) {
    const sameLine = Math.abs(names[i].top - names[i - 1].top) < 2;
    if (sameLine) gaps.push(names[i].left - names[i - 1].right);
  }
  return gaps;
}
