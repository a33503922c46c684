import { readFileSync } from "node:fs";
import { layerOf } from "./layers";

/**
 * `node tools/bench/dist/profile-summary.js <file.cpuprofile>…`: the share of a V8 CPU profile's
 * busy time (idle left out) per layer the issue asks about, by where each sampled frame's own
 * time was spent. Profiles come from `BENCH_CPU_PROF_DIR` (docs/performance.md). `PROFILE_SKIP_S`
 * leaves out the first seconds (start-up), `PROFILE_TOP=n` lists the n busiest functions too.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

function summarise(file: string): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // PROFILE_SKIP_S: leave out the first seconds (start-up, seeding) to see the load alone.
  const skipUs = Number(process.env.PROFILE_SKIP_S ?? 0) * 1e6;
  const hits = new Map<number, number>();
  let at = profile.startTime;
  const samples = profile.samples ?? [];
  let all = 0;
  samples.forEach((id, i) => {
    at += profile.timeDeltas?.[i] ?? 0;
    if (at - profile.startTime < skipUs) return;
    all++;
    hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  const totals = new Map<string, number>();
  let busy = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id)!;
    const layer = layerOf(node.callFrame.url, node.callFrame.functionName);
    totals.set(layer, (totals.get(layer) ?? 0) + count);
    if (layer !== "idle") busy += count;
  }
  const seconds = (profile.endTime - profile.startTime - skipUs) / 1e6;
  console.log(`\n${file}: ${seconds.toFixed(1)} s, busy ${((busy / Math.max(1, all)) * seconds).toFixed(1)} s`);
  for (const [layer, count] of [...totals].filter(([l]) => l !== "idle").sort((a, b) => b[1] - a[1])) {
    console.log(`  ${layer.padEnd(42)} ${((count / Math.max(1, busy)) * 100).toFixed(1).padStart(5)} %`);
  }
  if (process.env.PROFILE_TOP) {
    const fns = new Map<string, number>();
    for (const [id, count] of hits) {
      const { functionName, url } = byId.get(id)!.callFrame;
      if (functionName === "(idle)") continue;
      const key = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/\/work\/main\//, "")}`;
      fns.set(key, (fns.get(key) ?? 0) + count);
    }
    for (const [key, count] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP))) {
      console.log(`    ${((count / Math.max(1, busy)) * 100).toFixed(1).padStart(5)} %  ${key}`);
    }
  }
}

for (const file of process.argv.slice(2)) summarise(file);
