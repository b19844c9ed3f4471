"use client";

import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

export const CHART_COLORS = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6"];

const axis = { fontSize: 12, fill: "#64748b" };

type Datum = Record<string, string | number>;

/** A small time series (one metric), with an accessible text summary. */
export function TrendChart({
  data,
  x,
  y,
  label,
  color = CHART_COLORS[0]!,
  format = (v: number) => v.toLocaleString("en-US"),
  xFormat = (v: string) => v,
  kind = "area",
  height = 180,
  caption = label,
}: {
  data: Datum[];
  x: string;
  y: string;
  label: string;
  color?: string;
  format?: (v: number) => string;
  xFormat?: (v: string) => string;
  kind?: "area" | "bar";
  height?: number;
  /** The caption above the chart (default: `label`), shown with the latest value. */
  caption?: string;
}) {
  const last = data.at(-1);
  const summary = `${label}: ${data.map((d) => `${xFormat(String(d[x]))} ${format(Number(d[y]))}`).join(", ")}`;
  const common = {
    data,
    margin: { top: 8, right: 8, bottom: 0, left: 0 },
  };
  const axes = (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
      <XAxis
        dataKey={x}
        tick={axis}
        tickFormatter={xFormat}
        tickLine={false}
        axisLine={false}
        minTickGap={12}
      />
      <YAxis
        tick={axis}
        tickFormatter={(v: number) => format(v)}
        tickLine={false}
        axisLine={false}
        width={56}
        allowDecimals={false}
      />
      <Tooltip
        formatter={(v) => [format(Number(v)), label]}
        labelFormatter={(v) => xFormat(String(v))}
        contentStyle={{ borderRadius: 8, border: "1px solid #e2e8f0", fontSize: 13 }}
      />
    </>
  );
  return (
    <figure className="chart" aria-label={summary}>
      <figcaption className="chart-caption">
        <span>{caption}</span>
        {last ? <strong>{format(Number(last[y]))}</strong> : null}
      </figcaption>
      <div style={{ width: "100%", height }} aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          {kind === "bar" ? (
            <BarChart {...common}>
              {axes}
              <Bar dataKey={y} fill={color} radius={[4, 4, 0, 0]} maxBarSize={36} isAnimationActive={false} />
            </BarChart>
          ) : (
            <AreaChart {...common}>
              {axes}
              <Area
                type="monotone"
                dataKey={y}
                stroke={color}
                strokeWidth={2}
                fill={color}
                fillOpacity={0.12}
                isAnimationActive={false}
              />
            </AreaChart>
          )}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

/** Stacked bars: one bar per `x`, one segment per series. */
export function StackedBars({
  data,
  x,
  series,
  height = 240,
  format = (v: number) => v.toLocaleString("en-US"),
  label,
}: {
  data: Datum[];
  x: string;
  series: { key: string; label: string; color: string }[];
  height?: number;
  format?: (v: number) => string;
  label: string;
}) {
  const summary = `${label}: ${data
    .map((d) => `${d[x]}: ${series.map((s) => `${s.label} ${format(Number(d[s.key] ?? 0))}`).join(", ")}`)
    .join("; ")}`;
  return (
    <figure className="chart" aria-label={summary}>
      <div style={{ width: "100%", height }} aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
            <XAxis dataKey={x} tick={axis} tickLine={false} axisLine={false} />
            <YAxis
              tick={axis}
              tickFormatter={(v: number) => format(v)}
              tickLine={false}
              axisLine={false}
              width={64}
            />
            <Tooltip
              formatter={(v, name) => [format(Number(v)), String(name)]}
              contentStyle={{ borderRadius: 8, border: "1px solid #e2e8f0", fontSize: 13 }}
            />
            <Legend iconType="circle" wrapperStyle={{ fontSize: 12 }} />
            {series.map((s) => (
              <Bar
                key={s.key}
                dataKey={s.key}
                name={s.label}
                stackId="a"
                fill={s.color}
                maxBarSize={48}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
