import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { createConnection } from "mysql2/promise";
import { Column, DataSource, Entity, PrimaryColumn } from "typeorm";
import { HotReads } from "./hot-reads";
import { RequestContext } from "../context/request-context";
import { systemClock } from "../clock/clock";

@Entity("hot_thing")
class HotThing {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 50, name: "label_text" })
  label!: string;

  @Column({ type: "datetime" })
  createdAt!: Date;

  @Column({ type: "varchar", length: 50, select: false })
  secret!: string;
}

/** As wide as an order row: thirty columns of the types the packages use. */
const WIDE_COLUMNS = Array.from({ length: 30 }, (_, i) => `c${i}`);

@Entity("hot_wide")
class HotWide {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "int" })
  count!: number;

  @Column({ type: "boolean" })
  flag!: boolean;

  @Column({ type: "datetime", nullable: true })
  at!: Date | null;

  @Column({ type: "simple-json", nullable: true })
  extra!: { n: number } | null;
}
for (const name of WIDE_COLUMNS) Column({ type: "varchar", length: 20, nullable: true })(HotWide.prototype, name);

/** An entity whose constructor sets a property of its own: hydrated the generic way, which keeps it. */
@Entity("hot_initialised")
class HotInitialised {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 20 })
  label!: string;

  loadedBy = "constructor";
}

/** SQLite in memory always; MariaDB too when TEST_DATABASE_URL names a server (a database of its own). */
const serverUrl = process.env.TEST_DATABASE_URL;
const kinds = serverUrl ? (["sqlite", "mysql"] as const) : (["sqlite"] as const);

describe.each(kinds)("HotReads on %s", (kind) => {
  let dataSource: DataSource;
  let ctx: RequestContext;
  let dropDatabase = async () => {};

  beforeAll(async () => {
    const entities = [HotThing, HotWide, HotInitialised];
    if (kind === "mysql") {
      const url = new URL(serverUrl!);
      const name = `honour_hot_reads_${randomBytes(4).toString("hex")}`;
      const admin = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: url.username });
      await admin.query(`CREATE DATABASE \`${name}\``);
      dropDatabase = async () => {
        await admin.query(`DROP DATABASE \`${name}\``);
        await admin.end();
      };
      url.pathname = `/${name}`;
      dataSource = new DataSource({ type: "mysql", url: url.toString(), entities, synchronize: true });
    } else {
      dataSource = new DataSource({ type: "better-sqlite3", database: ":memory:", entities, synchronize: true });
    }
    await dataSource.initialize();
    await dataSource.manager.insert(HotThing, [
      { id: "a", label: "first", createdAt: new Date("2026-01-01T10:00:00.000Z"), secret: "s1" },
      { id: "b", label: "second", createdAt: new Date("2026-01-02T10:00:00.000Z"), secret: "s2" },
    ]);
    await dataSource.manager.insert(HotWide, [
      {
        id: "w1",
        count: 7,
        flag: true,
        at: new Date("2026-03-04T05:06:07.000Z"),
        extra: { n: 1 },
        ...Object.fromEntries(WIDE_COLUMNS.map((c, i) => [c, i % 4 === 0 ? null : `${c}-value`])),
      },
      { id: "w2", count: 0, flag: false, at: null, extra: null },
    ]);
    await dataSource.manager.insert(HotInitialised, [{ id: "i1", label: "one" }]);
    ctx = new RequestContext(dataSource, { kind: "system", name: "test" }, systemClock);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropDatabase();
  });

  it("builds each shape's statement once per data source and hydrates entities from the rows", async () => {
    const reads = new HotReads();
    const build = jest.fn(({ table, column }) => `SELECT * FROM ${table} WHERE ${column("label")} = ?`);
    const first = await reads.select(ctx, HotThing, "byLabel", build, ["first"]);
    const second = await reads.select(ctx, HotThing, "byLabel", build, ["second"]);
    expect(build).toHaveBeenCalledTimes(1);
    expect(first).toEqual([
      Object.assign(new HotThing(), { id: "a", label: "first", createdAt: new Date("2026-01-01T10:00:00.000Z") }),
    ]);
    expect(first[0]).toBeInstanceOf(HotThing);
    expect(first[0]!.createdAt).toBeInstanceOf(Date);
    expect(second.map((t) => t.id)).toEqual(["b"]);
  });

  it("leaves out columns that are not selected by default", async () => {
    const [thing] = await new HotReads().select(ctx, HotThing, "all", ({ table }) => `SELECT * FROM ${table}`, []);
    expect(thing).not.toHaveProperty("secret");
  });

  it("hydrates a wide entity exactly as TypeORM does, as an instance with fast (not dictionary) properties", async () => {
    const rows = await new HotReads().select(
      ctx,
      HotWide,
      "all",
      ({ table, column }) => `SELECT * FROM ${table} ORDER BY ${column("id")}`,
      [],
    );
    const typeorm = await dataSource.manager.find(HotWide, { order: { id: "ASC" } });
    expect(rows).toEqual(typeorm);
    expect(rows.map((r) => Object.keys(r))).toEqual(typeorm.map((r) => Object.keys(r)));
    expect(rows[0]).toBeInstanceOf(HotWide);
    expect(rows[0]!.constructor).toBe(HotWide);
    expect(rows[0]!.flag).toBe(true);
    expect(rows[0]!.at).toEqual(new Date("2026-03-04T05:06:07.000Z"));
    expect(rows[0]!.extra).toEqual({ n: 1 });
    // V8 turns an object into a hash table past a dozen properties added through a variable key;
    // every read of it is then a lookup. The hydrated entity must not be one.
    setFlagsFromString("--allow-natives-syntax");
    const hasFastProperties = new Function("o", "return %HasFastProperties(o)") as (o: object) => boolean;
    setFlagsFromString("--no-allow-natives-syntax");
    expect(rows.map(hasFastProperties)).toEqual([true, true]);
  });

  it("hydrates an entity whose class sets properties of its own through its constructor, keeping them", async () => {
    const [thing] = await new HotReads().select(
      ctx,
      HotInitialised,
      "all",
      ({ table }) => `SELECT * FROM ${table}`,
      [],
    );
    expect(thing).toBeInstanceOf(HotInitialised);
    expect(thing).toEqual(Object.assign(new HotInitialised(), { id: "i1", label: "one" }));
    expect(thing!.loadedBy).toBe("constructor");
  });
});
