// Renders report tables as aligned plain text for the terminal.

function renderTable({ title, headers, rows, note }) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  const out = [title, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  if (note) out.push(note);
  return out.join('\n');
}

export function renderTerminal(tables) {
  return tables.map(renderTable).join('\n\n');
}
