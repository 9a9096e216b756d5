/** A plain SVG chart of latency over time, one line per operation (the p50 and p99 of each second). */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export function renderChart(
  series: { name: string; points: [number, number][] }[],
  title: string,
  labels: { unit: string; legend: string } = { unit: 'ms', legend: '(p50 solid, p99 dashed)' },
): string {
  const width = 960;
  const height = 480;
  const pad = { left: 60, right: 220, top: 40, bottom: 40 };
  const perSecond = series.map((s) => {
    const buckets = new Map<number, number[]>();
    for (const [t, ms] of s.points) {
      const b = Math.floor(t);
      buckets.set(b, [...(buckets.get(b) ?? []), ms]);
    }
    const seconds = [...buckets.keys()].sort((a, b) => a - b);
    return {
      name: s.name,
      p50: seconds.map(
        (t) =>
          [
            t,
            percentile(
              buckets.get(t)!.sort((a, b) => a - b),
              0.5,
            ),
          ] as const,
      ),
      p99: seconds.map(
        (t) =>
          [
            t,
            percentile(
              buckets.get(t)!.sort((a, b) => a - b),
              0.99,
            ),
          ] as const,
      ),
    };
  });
  const maxT = Math.max(1, ...perSecond.flatMap((s) => s.p99.map(([t]) => t)));
  const maxMs = Math.max(1, ...perSecond.flatMap((s) => s.p99.map(([, ms]) => ms)));
  const x = (t: number) => pad.left + (t / maxT) * (width - pad.left - pad.right);
  const y = (ms: number) => height - pad.bottom - (ms / maxMs) * (height - pad.top - pad.bottom);
  const path = (pts: readonly (readonly [number, number])[]) =>
    pts.map(([t, ms]) => `${x(t).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
  const lines = perSecond.flatMap((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    return [
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${path(s.p50)}"/>`,
      `<polyline fill="none" stroke="${color}" stroke-width="1" stroke-dasharray="4 3" points="${path(s.p99)}"/>`,
      `<text x="${width - pad.right + 10}" y="${pad.top + 18 * i}" fill="${color}" font-size="12">${s.name} ${labels.legend}</text>`,
    ];
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${pad.left - 8}" y="${y(f * maxMs) + 4}" font-size="11" text-anchor="end">${(f * maxMs).toFixed(0)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad.left}" y="24" font-size="14">${title}</text>
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#333"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#333"/>
<text x="${(width - pad.right) / 2}" y="${height - 10}" font-size="12">seconds into the run</text>
<text x="14" y="${pad.top - 10}" font-size="12">${labels.unit}</text>
${ticks.join('\n')}
${lines.join('\n')}
</svg>
`;
}
