// Tiny helpers to write SVG and HTML as strings; every text that comes from data goes through escapeXml.

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "#39" }[c]};`);
}

type AttrValue = string | number | undefined;

/** An element with attributes (undefined ones omitted) and raw inner markup; no inner: self-closed (SVG only). */
export function el(tag: string, attrs: Record<string, AttrValue>, inner?: string): string {
  const list = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === "number" ? round(v) : v as string)}"`)
    .join("");
  return inner === undefined ? `<${tag}${list}/>` : `<${tag}${list}>${inner}</${tag}>`;
}

/** A tooltip child: browsers show an element's <title> on hover, no script needed. */
export function tooltip(text: string): string {
  return `<title>${escapeXml(text)}</title>`;
}

/** Coordinates rounded to 0.1 px keep the file small without visible loss. */
export function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** An SVG polyline path through the points ("M x y L x y ..."). */
export function pathOf(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${round(x)} ${round(y)}`).join("");
}
