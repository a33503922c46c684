import { isMysql } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { expectStatus, FIREFOX, openStatsTestBed, pageView, SITE, system, type StatsTestBed } from "./stats-test-bed";

/** Tables that hold no statistics (the platform's; the security log keeps IPs by design, for a bounded time). */
const NOT_STATS = new Set(["security_event", "job", "job_outbox", "migration", "audit_entry"]);

describe.each(testDatabaseKinds())("what the statistics store, on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
  });
  afterAll(() => bed?.close());

  async function tables(): Promise<string[]> {
    const ds = bed.db.dataSource;
    const rows: Record<string, string>[] = isMysql(ds)
      ? await ds.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()")
      : await ds.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    return rows.map((r) => r.name ?? r.NAME ?? Object.values(r)[0]!).filter((name) => !NOT_STATS.has(name));
  }

  it("holds no IP address and no user agent in any column of any table, after ingest, rollup and rotation", async () => {
    const visitors = [
      { ip: "203.0.113.77", userAgent: FIREFOX },
      { ip: "2a01:4f8:85a3::8a2e:370:7334", userAgent: `${FIREFOX} Honour-Probe/7` },
      { ip: "::ffff:198.51.100.23", userAgent: FIREFOX },
    ];
    for (const { ip, userAgent } of visitors) {
      expectStatus(
        bed,
        pageView({ ip, userAgent, url: `https://${SITE}/p?utm_source=x`, referrer: "https://aol.com/" }),
        202,
      );
    }
    await bed.services.ingest.flush();
    await bed.services.rollups.rollUp(system(bed));
    await bed.services.salts.rotate(system(bed));

    const needles = [
      "203.0.113.77",
      "2a01:4f8:85a3::8a2e:370:7334",
      "198.51.100.23",
      "Honour-Probe",
      "Gecko/20100101",
      "X11; Linux",
    ];
    const scanned: string[] = [];
    let cells = 0;
    for (const table of await tables()) {
      scanned.push(table);
      const rows: Record<string, unknown>[] = await bed.db.dataSource.query(`SELECT * FROM ${quote(table)}`);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          cells += 1;
          const text =
            value instanceof Date
              ? value.toISOString()
              : Buffer.isBuffer(value)
                ? value.toString("latin1")
                : String(value);
          for (const needle of needles) {
            expect({ table, column, holds: text.toLowerCase().includes(needle.toLowerCase()) ? needle : null }).toEqual(
              {
                table,
                column,
                holds: null,
              },
            );
          }
        }
      }
    }
    expect(scanned.sort()).toEqual([
      "stats_daily",
      "stats_hourly",
      "stats_label",
      "stats_page_view",
      "stats_period",
      "stats_salt",
    ]);
    expect(cells).toBeGreaterThan(30);
  });

  function quote(name: string): string {
    return isMysql(bed.db.dataSource) ? `\`${name}\`` : `"${name}"`;
  }
});
