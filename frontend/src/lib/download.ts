// Saving what the user exports: CSV text, and a chart's SVG as SVG or PNG.

/** saveBlob downloads data under name (an <a download> click). */
export function saveBlob(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveText(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  saveBlob(name, new Blob([text], { type }));
}

/** svgText is a chart as a standalone SVG file: links dropped, a white background, dark text. */
export function svgText(svg: SVGSVGElement): string {
  const c = svg.cloneNode(true) as SVGSVGElement;
  c.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  c.setAttribute('style', 'color:#1b1f24;font-family:sans-serif;font-size:11px');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#ffffff');
  c.insertBefore(bg, c.firstChild);
  for (const a of Array.from(c.querySelectorAll('a'))) a.replaceWith(...Array.from(a.childNodes));
  return new XMLSerializer().serializeToString(c);
}

export function saveSVG(name: string, svg: SVGSVGElement): void {
  saveText(name, svgText(svg), 'image/svg+xml');
}

/** savePNG renders the SVG at twice its size into a canvas and downloads it. */
export async function savePNG(name: string, svg: SVGSVGElement): Promise<void> {
  const w = svg.viewBox.baseVal?.width || svg.clientWidth || 600;
  const h = svg.viewBox.baseVal?.height || svg.clientHeight || 300;
  const img = new Image();
  img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svgText(svg));
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = w * 2;
  canvas.height = h * 2;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no canvas');
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise<Blob | null>((res) => canvas.toBlob(res, 'image/png'));
  if (!blob) throw new Error('PNG encoding failed');
  saveBlob(name, blob);
}
