import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

/** One ratio of a run: the gateway's throughput over a baseline's, in one scenario at one connection count. */
export interface RecordedRatio {
  /** The scenario as docs/performance.md names it: the report's title up to its first comma or parenthesis. */
  scenario: string;
  /** `gateway/baseline`, `gateway/(b) http+mysql2 batch`, … */
  pair: string;
  connections: number;
  /** Percent. */
  ratio: number;
  subjectRps: number;
  subjectP99: number;
  otherP99: number;
}

const recorded: RecordedRatio[] = [];

/** Called by bench-kit's report() for every ratio it prints. */
export function recordRatio(ratio: RecordedRatio): void {
  recorded.push(ratio);
}

export function recordedRatios(): readonly RecordedRatio[] {
  return recorded;
}

/** The scenario name of a report title: `myOrders(first: 20), 16 connections, …` -> `myOrders(first: 20)`. */
export function scenarioOf(title: string): string {
  return title.split(/,\s| \(/)[0]!.trim();
}

/** The connections a report title names (`16 connections`, `16 accounts, one per connection`); 0 if none. */
export function connectionsOf(title: string): number {
  return Number((/(\d+) connections?\b/.exec(title) ?? /(\d+) accounts, one per connection/.exec(title))?.[1] ?? 0);
}

/** Where the ratios of the latest run that was written down live. */
export const PERFORMANCE_DOC = join(__dirname, "..", "..", "..", "docs", "performance.md");

/** A ratio falling by more than this many points (percent of the baseline) is warned about. */
export const WARN_AFTER_POINTS = 10;

const key = (r: Pick<RecordedRatio, "scenario" | "pair" | "connections">) => `${r.scenario}|${r.pair}|${r.connections}`;

/**
 * The ratios of docs/performance.md's table: rows `| scenario | pair | connections | ratio % | … |`
 * between the `<!-- bench:ratios -->` and `<!-- /bench:ratios -->` markers.
 */
export function documentedRatios(markdown: string): Map<string, number> {
  const start = markdown.indexOf("<!-- bench:ratios -->");
  const end = markdown.indexOf("<!-- /bench:ratios -->");
  const ratios = new Map<string, number>();
  if (start < 0 || end < start) return ratios;
  for (const line of markdown.slice(start, end).split("\n")) {
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim().replace(/^`|`$/g, ""));
    if (cells.length < 4 || !/^\d+$/.test(cells[2]!)) continue;
    const ratio = Number(cells[3]!.replace(/\s*%$/, ""));
    if (Number.isFinite(ratio))
      ratios.set(key({ scenario: cells[0]!, pair: cells[1]!, connections: Number(cells[2]) }), ratio);
  }
  return ratios;
}

/**
 * `npm run bench -- --check`: each ratio of this run against docs/performance.md's. A ratio more
 * than {@link WARN_AFTER_POINTS} points below its documented value is a warning (printed, never a
 * failure: a shared machine's noise would make it flaky). Returns the warnings.
 */
export function checkRatios(run: readonly RecordedRatio[], markdown: string): string[] {
  const documented = documentedRatios(markdown);
  const warnings: string[] = [];
  for (const ratio of run) {
    const before = documented.get(key(ratio));
    if (before === undefined) continue;
    if (ratio.ratio < before - WARN_AFTER_POINTS) {
      warnings.push(
        `WARNING: ${ratio.scenario} (${ratio.pair}, ${ratio.connections} connections) fell from ${before.toFixed(1)} % ` +
          `to ${ratio.ratio.toFixed(1)} %, more than ${WARN_AFTER_POINTS} points below docs/performance.md`,
      );
    }
  }
  return warnings;
}

/** Reads docs/performance.md, compares, prints; never throws for a missing or odd document. */
export function printRatioCheck(run: readonly RecordedRatio[]): void {
  let markdown = "";
  try {
    markdown = readFileSync(PERFORMANCE_DOC, "utf8");
  } catch {
    console.log(`\n--check: ${PERFORMANCE_DOC} not found; nothing to compare with`);
    return;
  }
  const documented = documentedRatios(markdown);
  const compared = run.filter((r) => documented.has(key(r)));
  const warnings = checkRatios(run, markdown);
  console.log(
    `\n--check: ${compared.length} of this run's ${run.length} ratios compared with docs/performance.md ` +
      `(warning below ${WARN_AFTER_POINTS} points under it)`,
  );
  for (const warning of warnings) console.log(warning);
  if (warnings.length === 0 && compared.length > 0) console.log("no ratio fell by more than that");
}

/** This run's ratios as docs/performance.md's table, with the machine and the date, for pasting. */
export function ratioTable(run: readonly RecordedRatio[], load: number[], now = new Date()): string {
  const cpu = cpus();
  const lines = [
    `Run of ${now.toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, load average ${load.map((l) => l.toFixed(1)).join(", ")} at the end`,
    "",
    "<!-- bench:ratios -->",
    "| Scenario | Pair | Connections | Ratio | Gateway req/s | Gateway p99 | Baseline p99 |",
    "|---|---|---|---|---|---|---|",
    ...run.map(
      (r) =>
        `| \`${r.scenario}\` | ${r.pair} | ${r.connections} | ${r.ratio.toFixed(1)} % | ${r.subjectRps.toFixed(0)} | ` +
        `${r.subjectP99.toFixed(1)} ms | ${r.otherP99.toFixed(1)} ms |`,
    ),
    "<!-- /bench:ratios -->",
  ];
  return lines.join("\n");
}
