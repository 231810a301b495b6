/** One chart of the Insights page: its title, a text summary (what a screen reader reads,
 * and what anyone can quote), downloads (CSV from the API, PNG drawn from the chart's SVG),
 * the legend as text, and the figures as a table with the tasks behind each row. */
import { type ReactNode, useId, useRef, useState } from "react";
import { ErrorNote, Spinner } from "../../app/ui";
import { type LegendEntry, pageVars, saveBlob, serializeSvg, svgToPng } from "./png";

export interface LegendItem extends LegendEntry {
  /** A pattern (or line style) drawn in the swatch, so the series differ by more than colour. */
  swatch?: ReactNode;
}

export function ChartCard({
  title,
  summary,
  pending,
  error,
  onCsv,
  pngName,
  legend,
  figures,
  children,
  wide,
  actions,
  controls,
}: {
  title: string;
  summary: ReactNode;
  pending?: boolean;
  error?: unknown;
  onCsv?: () => Promise<void>;
  /** The PNG's file name; none: no PNG (a list, not a chart). */
  pngName?: string;
  legend?: LegendItem[];
  figures?: ReactNode;
  children?: ReactNode;
  wide?: boolean;
  actions?: ReactNode;
  /** Form controls and figures in text, above the chart (not hidden from screen readers). */
  controls?: ReactNode;
}) {
  const headingId = useId();
  const chart = useRef<HTMLDivElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(what: () => Promise<void>) {
    setProblem(null);
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setProblem(
        e && typeof e === "object" && "userMessage" in e
          ? String((e as { userMessage: string }).userMessage)
          : "The download failed. Try again.",
      );
    } finally {
      setBusy(false);
    }
  }

  async function png() {
    const svg = chart.current?.querySelector<SVGSVGElement>(".recharts-wrapper > svg");
    if (!svg || !pngName || !chart.current) throw new Error("No chart to save.");
    const lookup = pageVars(chart.current);
    const { markup, width, height } = serializeSvg(svg, {
      lookup,
      background: lookup("--panel").trim() || "#ffffff",
      textColor: lookup("--text").trim() || "#000000",
      title,
      legend: (legend ?? []).map((l) => ({ label: l.label, color: l.color })),
    });
    saveBlob(await svgToPng(markup, width, height), pngName);
  }

  return (
    <section className={`insight-card${wide ? " wide" : ""}`} aria-labelledby={headingId}>
      <header className="insight-card-head">
        <h2 id={headingId}>{title}</h2>
        <span className="spacer" />
        {actions}
        {onCsv && (
          <button
            type="button"
            className="small"
            disabled={busy}
            aria-label={`Download ${title} as CSV`}
            onClick={() => void run(onCsv)}
          >
            CSV
          </button>
        )}
        {pngName && (
          <button
            type="button"
            className="small"
            disabled={busy || pending || Boolean(error)}
            aria-label={`Download ${title} as PNG`}
            onClick={() => void run(png)}
          >
            PNG
          </button>
        )}
      </header>
      {problem && (
        <p className="query-error" role="alert">
          {problem}
        </p>
      )}
      {pending ? (
        <Spinner label={`Loading ${title}`} />
      ) : error ? (
        <ErrorNote error={error} />
      ) : (
        <>
          <p className="chart-summary">{summary}</p>
          {controls}
          {children && (
            // The chart is for the eye; the summary above and the table below say the same.
            <div className="chart-box" ref={chart} aria-hidden="true">
              {children}
            </div>
          )}
          {legend && legend.length > 0 && (
            <ul className="chart-legend" aria-label={`${title} legend`}>
              {legend.map((l) => (
                <li key={l.label}>
                  {l.swatch ?? (
                    <span className="swatch" style={{ background: l.color }} aria-hidden="true" />
                  )}
                  {l.label}
                </li>
              ))}
            </ul>
          )}
          {figures && (
            <details className="chart-figures">
              <summary>Figures of {title.toLowerCase()}</summary>
              {figures}
            </details>
          )}
        </>
      )}
    </section>
  );
}
