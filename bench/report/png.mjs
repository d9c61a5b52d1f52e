// Renders an SVG file to PNG with resvg (for README images and for looking at the plot).
import { readFileSync, writeFileSync } from 'node:fs';

export async function svgToPng(svgPath, pngPath, { width = 1400 } = {}) {
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(readFileSync(svgPath, 'utf8'), {
    fitTo: { mode: 'width', value: width }, background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  writeFileSync(pngPath, resvg.render().asPng());
}
