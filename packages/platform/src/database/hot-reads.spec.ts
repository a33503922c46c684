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

describe("HotReads", () => {
  let dataSource: DataSource;
  let ctx: RequestContext;

  beforeAll(async () => {
    dataSource = new DataSource({
      type: "better-sqlite3",
      database: ":memory:",
      entities: [HotThing],
      synchronize: true,
    });
    await dataSource.initialize();
    await dataSource.manager.insert(HotThing, [
      { id: "a", label: "first", createdAt: new Date("2026-01-01T10:00:00.000Z"), secret: "s1" },
      { id: "b", label: "second", createdAt: new Date("2026-01-02T10:00:00.000Z"), secret: "s2" },
    ]);
    ctx = new RequestContext(dataSource, { kind: "system", name: "test" }, systemClock);
  });

  afterAll(() => dataSource.destroy());

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
});
