// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { chartFilename, resolveCssVars, serializeSvg } from "./png";

describe("chartFilename", () => {
  it("names the metric and the period, with nothing a file system objects to", () => {
    expect(chartFilename("throughput", "2026-11-06", "2026-12-05", "png")).toBe(
      "tasklane-throughput-2026-11-06-2026-12-05.png",
    );
    expect(chartFilename("Cycle time / WEB", "2026-11-06", "2026-12-05", "csv")).toBe(
      "tasklane-cycle-time-web-2026-11-06-2026-12-05.csv",
    );
  });
});

describe("resolveCssVars", () => {
  const vars: Record<string, string> = { "--accent": " #4f46e5", "--text": "#1c1d21" };
  const lookup = (name: string) => vars[name] ?? "";

  it("writes in the values, then the fallback, else leaves the text", () => {
    expect(resolveCssVars('fill="var(--accent)"', lookup)).toBe('fill="#4f46e5"');
    expect(resolveCssVars("stroke: var( --nope , rgb(1, 2, 3) )", lookup)).toBe(
      "stroke: rgb(1, 2, 3)",
    );
    expect(resolveCssVars("fill: var(--nope)", lookup)).toBe("fill: var(--nope)");
    expect(resolveCssVars("var(--text) var(--accent)", lookup)).toBe("#1c1d21 #4f46e5");
  });
});

describe("serializeSvg", () => {
  it("makes a standalone file: size, background, title, resolved colours, legend text", () => {
    const host = document.createElement("div");
    host.innerHTML =
      '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><rect width="10" height="20" fill="var(--accent)"/></svg>';
    const svg = host.querySelector("svg") as unknown as SVGSVGElement;
    const { markup, width, height } = serializeSvg(svg, {
      lookup: (name) => (name === "--accent" ? "#4f46e5" : ""),
      background: "#ffffff",
      textColor: "#111111",
      title: "Throughput <by week>",
      legend: [{ label: "Done & dusted", color: "#00aa00" }],
      width: 400,
      height: 200,
    });
    expect(width).toBe(400);
    expect(height).toBe(28 + 200 + 22 + 8);
    expect(markup.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="400"')).toBe(true);
    expect(markup).toContain('fill="#4f46e5"');
    expect(markup).not.toContain("var(--");
    expect(markup).toContain("Throughput &#60;by week&#62;");
    expect(markup).toContain("Done &#38; dusted");
    expect(markup).toContain('<rect width="100%" height="100%" fill="#ffffff"/>');
    expect(markup.match(/<svg/g)).toHaveLength(1);
  });
});
