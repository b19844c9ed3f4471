/** Percentile of already-collected samples (nearest rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const ms = (v: number) =>
  v >= 100 ? `${v.toFixed(0)} ms` : v >= 1 ? `${v.toFixed(2)} ms` : `${(v * 1000).toFixed(1)} µs`;
export const bytes = (v: number) =>
  v >= 1 << 30
    ? `${(v / (1 << 30)).toFixed(2)} GiB`
    : v >= 1 << 20
      ? `${(v / (1 << 20)).toFixed(2)} MiB`
      : `${(v / 1024).toFixed(1)} KiB`;

export type Row = { bench: string; metric: string; value: string; note?: string };

export function printTable(title: string, rows: Row[]): void {
  const cols = ["bench", "metric", "value", "note"] as const;
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(" | ")} |`;
  console.log(`\n${title}\n`);
  console.log(line([...cols]));
  console.log(`|${width.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(cols.map((c) => r[c] ?? "")));
}
