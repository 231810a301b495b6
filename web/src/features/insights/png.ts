/**
 * A chart as a file: the chart's SVG, made self-contained (the page's CSS variables written
 * in, a background, the legend as text under it), drawn on a canvas and saved as PNG.
 */

export interface LegendEntry {
  label: string;
  color: string;
}

/** `tasklane-throughput-2026-11-06-2026-12-05.png`: safe for every file system. */
export function chartFilename(metric: string, from: string, to: string, ext: "png" | "csv") {
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "");
  return `tasklane-${[metric, from, to].map(slug).filter(Boolean).join("-")}.${ext}`;
}

/** `var(--name)` and `var(--name, fallback)` replaced by what `lookup` answers (else the
 * fallback, else left as it was). */
export function resolveCssVars(text: string, lookup: (name: string) => string): string {
  return text.replace(
    /var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*(?:\([^()]*\)[^()]*)*))?\)/g,
    (whole, name: string, fallback?: string) => {
      const value = lookup(name).trim();
      if (value) return value;
      return fallback?.trim() || whole;
    },
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const SVG_NS = "http://www.w3.org/2000/svg";
const LEGEND_ROW = 22;

/**
 * The markup of a standalone SVG file of `svg`: its size fixed, the CSS variables its
 * attributes use resolved with `lookup`, a `background` rectangle under everything, a title,
 * and the legend entries as text rows below the chart (a PNG has no page around it).
 */
export function serializeSvg(
  svg: SVGSVGElement,
  {
    lookup,
    background,
    textColor,
    title,
    legend = [],
    width = svg.width?.baseVal?.value || Number(svg.getAttribute("width")) || 600,
    height = svg.height?.baseVal?.value || Number(svg.getAttribute("height")) || 300,
  }: {
    lookup: (name: string) => string;
    background: string;
    textColor: string;
    title: string;
    legend?: LegendEntry[];
    width?: number;
    height?: number;
  },
): { markup: string; width: number; height: number } {
  const top = title ? 28 : 0;
  const total = top + height + (legend.length ? LEGEND_ROW * Math.ceil(legend.length / 4) + 8 : 0);
  const inner = new XMLSerializer().serializeToString(svg);
  // The chart itself, moved under the title; its own outer attributes go.
  const body = inner.replace(/^<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "");
  const font = `font-family="Inter, 'Segoe UI', system-ui, sans-serif" font-size="12"`;
  const parts = [
    `<svg xmlns="${SVG_NS}" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" ${font}>`,
    `<rect width="100%" height="100%" fill="${escapeXml(background)}"/>`,
  ];
  if (title)
    parts.push(
      `<text x="12" y="19" font-size="14" font-weight="600" fill="${escapeXml(textColor)}">${escapeXml(title)}</text>`,
    );
  parts.push(`<g transform="translate(0 ${top})">${body}</g>`);
  legend.forEach((entry, i) => {
    const x = 12 + (i % 4) * Math.floor((width - 24) / 4);
    const y = top + height + 8 + Math.floor(i / 4) * LEGEND_ROW;
    parts.push(
      `<rect x="${x}" y="${y + 3}" width="12" height="12" fill="${escapeXml(entry.color)}" stroke="${escapeXml(textColor)}" stroke-width="0.5"/>`,
      `<text x="${x + 18}" y="${y + 13}" fill="${escapeXml(textColor)}">${escapeXml(entry.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return { markup: resolveCssVars(parts.join(""), lookup), width, height: total };
}

/** Draw standalone SVG markup on a canvas (at `scale` for sharp text) and answer a PNG. */
export function svgToPng(markup: string, width: number, height: number, scale = 2): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    const url = URL.createObjectURL(new Blob([markup], { type: "image/svg+xml;charset=utf-8" }));
    image.onload = () => {
      try {
        const canvas = document.createElement("canvas");
        canvas.width = Math.ceil(width * scale);
        canvas.height = Math.ceil(height * scale);
        const context = canvas.getContext("2d");
        if (!context) throw new Error("No canvas to draw the chart on.");
        context.scale(scale, scale);
        context.drawImage(image, 0, 0, width, height);
        canvas.toBlob((blob) =>
          blob ? resolve(blob) : reject(new Error("The chart could not be drawn.")),
        );
      } catch (error) {
        reject(error);
      } finally {
        URL.revokeObjectURL(url);
      }
    };
    image.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("The chart could not be drawn."));
    };
    image.src = url;
  });
}

/** Save `blob` as a file called `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The CSS variable lookup of the page as it is drawn now (light or dark). */
export function pageVars(element: Element = document.documentElement): (name: string) => string {
  const style = getComputedStyle(element);
  return (name) => style.getPropertyValue(name);
}
