/** "When will these open tasks be done?" and "how many by this day?": a Monte Carlo forecast
 * from the project's own throughput (the API runs it), with the histogram behind it. */
import { useId, useState } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { ApiError } from "../../api/client";
import { useForecast } from "./api";
import { ChartCard } from "./ChartCard";
import { addDays, dayLabel, utcToday } from "./period";
import { chartFilename } from "./png";

const AXIS = { fill: "var(--muted)", fontSize: 12 };

export function ForecastPanel({
  projectId,
  q,
  openCount,
}: {
  projectId: string;
  /** The filter: the scope of the forecast. */
  q: string;
  /** Open tasks in the scope, when known (before asking). */
  openCount: number | null;
}) {
  const forecast = useForecast(projectId);
  const [byDate, setByDate] = useState(() => addDays(utcToday(), 30));
  const dateId = useId();
  const data = forecast.data;
  const n = data?.remaining ?? openCount;
  const question =
    n === 0
      ? "Nothing open matches: there is nothing to forecast."
      : `When will ${n === null ? "these" : `these ${n}`} open ${n === 1 ? "task" : "tasks"} be done?`;
  const ask = () =>
    forecast.mutate({ ...(q ? { query: q } : {}), ...(byDate ? { by_date: byDate } : {}) });
  const problem =
    forecast.error instanceof ApiError
      ? forecast.error.userMessage
      : forecast.error
        ? "The forecast failed. Try again."
        : null;

  const percentText = data?.percentiles
    .map((p) => `${p.percent}% by ${dayLabel(p.date)}`)
    .join(", ");
  const summary = data
    ? data.remaining === 0
      ? "Nothing is open in this scope."
      : `Finished: ${percentText}. From ${data.history.finished} tasks finished in the last ${data.history.days} days (${Math.round(data.history.per_day * 100) / 100} a day), ${data.samples.toLocaleString("en-US")} simulated runs.`
    : "Ask for a forecast: it simulates the open tasks of the filter with the project's own daily throughput of the last 12 weeks.";

  return (
    <ChartCard
      title="Forecast"
      summary={summary}
      wide
      pngName={
        data && data.histogram.length > 0
          ? chartFilename(
              "forecast",
              data.today,
              data.percentiles.at(-1)?.date ?? data.today,
              "png",
            )
          : undefined
      }
      legend={
        data && data.histogram.length > 0
          ? [
              { label: "Simulated runs finishing that day", color: "var(--accent)" },
              {
                label: "Percentile dates (50/70/85/95%)",
                color: "var(--danger)",
                swatch: (
                  <svg className="swatch line" width="22" height="12" aria-hidden="true">
                    <line
                      x1="11"
                      y1="0"
                      x2="11"
                      y2="12"
                      stroke="var(--danger)"
                      strokeWidth="2"
                      strokeDasharray="3 2"
                    />
                  </svg>
                ),
              },
            ]
          : undefined
      }
      controls={
        <>
          <form
            className="forecast-form"
            onSubmit={(e) => {
              e.preventDefault();
              ask();
            }}
          >
            <p className="forecast-question">
              <strong>{question}</strong>
              {q && <span className="muted"> (the tasks matching “{q}”)</span>}
            </p>
            <label htmlFor={dateId}>And how many by</label>
            <input
              id={dateId}
              type="date"
              value={byDate}
              min={utcToday()}
              onChange={(e) => setByDate(e.target.value)}
            />
            <button type="submit" className="primary" disabled={forecast.isPending || n === 0}>
              {forecast.isPending ? "Forecasting…" : "Forecast"}
            </button>
          </form>
          {problem && (
            <p className="query-error" role="alert">
              {problem}
            </p>
          )}
          {data && data.remaining > 0 && (
            <>
              <ul className="forecast-percentiles" aria-label="Finished by, with this confidence">
                {data.percentiles.map((p) => (
                  <li key={p.percent}>
                    <span className="percent">{p.percent}%</span>
                    <span className="date">{dayLabel(p.date, data.today.slice(0, 4))}</span>
                    <span className="muted small">in {p.days} days</span>
                  </li>
                ))}
              </ul>
              {data.by_date && (
                <p className="forecast-by-date">
                  By {dayLabel(data.by_date.date)}:{" "}
                  {data.by_date.percentiles
                    .map(
                      (p) =>
                        `at least ${p.tasks} ${p.tasks === 1 ? "task" : "tasks"} (${p.percent}% likely)`,
                    )
                    .join(", ")}
                  .
                </p>
              )}
            </>
          )}
        </>
      }
    >
      {data && data.remaining > 0 && data.histogram.length > 0 && (
        <ResponsiveContainer width="100%" height={220}>
          <BarChart
            data={data.histogram}
            margin={{ top: 20, right: 16, bottom: 0, left: 0 }}
            accessibilityLayer={false}
          >
            <CartesianGrid stroke="var(--border)" vertical={false} />
            <XAxis
              dataKey="date"
              tick={AXIS}
              stroke="var(--border)"
              tickFormatter={(d) => dayLabel(String(d))}
            />
            <YAxis allowDecimals={false} tick={AXIS} stroke="var(--border)" width={44} />
            <Tooltip
              contentStyle={{
                background: "var(--panel)",
                border: "1px solid var(--border)",
                color: "var(--text)",
              }}
              itemStyle={{ color: "var(--text)" }}
              cursor={{ fill: "var(--panel-2)" }}
              isAnimationActive={false}
              labelFormatter={(d) => dayLabel(String(d))}
              formatter={(v, _name, item) => [
                `${v} runs (${Math.round(((item?.payload as { cumulative?: number })?.cumulative ?? 0) * 100)}% done by then)`,
                "Finished",
              ]}
            />
            <Bar dataKey="count" name="Runs" fill="var(--accent)" isAnimationActive={false} />
            {data.percentiles.map((p) => (
              <ReferenceLine
                key={p.percent}
                x={p.date}
                stroke="var(--danger)"
                strokeWidth={1.5}
                strokeDasharray="3 2"
                label={{
                  value: `${p.percent}%`,
                  position: "top",
                  fill: "var(--text)",
                  fontSize: 11,
                }}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCard>
  );
}
