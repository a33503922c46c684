import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  colour: string;
  dash?: number[];
}

/**
 * A line chart (uPlot) over labelled points: x is the point's index, labelled with `labels`, so
 * the previous period lines up point for point with the current one. Resizes with its container.
 */
export function LineChart({ labels, series, title }: { labels: string[]; series: ChartSeries[]; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(280, element.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 280,
        scales: { x: { time: false } },
        axes: [
          {
            values: (_u, ticks) => ticks.map((tick) => labels[Math.round(tick)] ?? ""),
            stroke: "#333",
          },
          { stroke: "#333" },
        ],
        series: [
          { label: "Point", value: (_u, v) => (v === null ? "" : (labels[Math.round(v)] ?? "")) },
          ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 2, dash: s.dash })),
        ],
      },
      [labels.map((_, i) => i), ...series.map((s) => s.values)],
      element,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 280 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [labels, series]);
  return <div className="chart" ref={box} role="img" aria-label={title} data-points={labels.length} />;
}
