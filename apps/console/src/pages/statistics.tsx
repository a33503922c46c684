import { useEffect, useMemo, useState } from "react";
import { request } from "../api/client";
import { LineChart, type ChartSeries } from "../components/chart";
import { ErrorMessage, PageTitle } from "../components/common";
import { ConsoleStatisticsDocument, type ConsoleStatisticsQuery } from "../generated/graphql";
import { download, toCsv } from "../lib/csv";
import { isLocalDay, keyLabel, PERIOD_CHOICES, periodOf, todayIn, type PeriodChoice } from "../lib/period";
import { siteTimeZone } from "../lib/site";

type Row = ConsoleStatisticsQuery["series"]["rows"][number];

const TOP = 10;
const number = new Intl.NumberFormat("en-GB");

/** Visitors and page views over time, the previous period beside them, and the top lists. */
export function StatisticsPage() {
  const timeZone = siteTimeZone();
  const today = todayIn(timeZone);
  const [choice, setChoice] = useState<PeriodChoice>("30d");
  const [custom, setCustom] = useState({ from: today, to: today });
  const [data, setData] = useState<ConsoleStatisticsQuery | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const customValid = isLocalDay(custom.from) && isLocalDay(custom.to) && custom.from <= custom.to;
  const period = useMemo(
    () => periodOf(choice, today, choice === "custom" && customValid ? custom : undefined),
    [choice, today, custom, customValid],
  );

  useEffect(() => {
    if (choice === "custom" && !customValid) return;
    let live = true;
    setLoading(true);
    request(ConsoleStatisticsDocument, {
      from: period.from,
      to: period.to,
      previousFrom: period.previousFrom,
      previousTo: period.previousTo,
      series: period.series,
      top: TOP,
    }).then(
      (result) => {
        if (!live) return;
        setData(result);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!live) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [period, choice, customValid]);

  const chart = useMemo(() => {
    if (!data) return null;
    const rows = data.series.rows;
    const previous = data.previousSeries.rows;
    const labels = rows.map((r) => keyLabel(r.key));
    const series: ChartSeries[] = [
      { label: "Visitors", values: rows.map((r) => r.visitors ?? 0), colour: "#1d4ed8" },
      { label: "Page views", values: rows.map((r) => r.pageviews ?? 0), colour: "#b45309" },
      {
        label: "Visitors, previous period",
        values: previous.map((r) => r.visitors ?? 0),
        colour: "#1d4ed8",
        dash: [6, 4],
      },
      {
        label: "Page views, previous period",
        values: previous.map((r) => r.pageviews ?? 0),
        colour: "#b45309",
        dash: [6, 4],
      },
    ];
    return { labels, series };
  }, [data]);

  const totals = data?.totals.rows[0];
  const previousTotals = data?.previousTotals.rows[0];

  const downloadCsv = () => {
    if (!data) return;
    const rows: (string | number | null)[][] = [["section", "key", "visitors", "pageviews"]];
    const add = (section: string, list: readonly Row[]) =>
      list.forEach((r) => rows.push([section, r.key ?? "(none)", r.visitors ?? 0, r.pageviews ?? 0]));
    add("total", data.totals.rows);
    add("previous total", data.previousTotals.rows);
    add(period.series === "HOUR" ? "hour" : "day", data.series.rows);
    add(period.series === "HOUR" ? "previous hour" : "previous day", data.previousSeries.rows);
    add("page", data.pages.rows);
    add("referrer", data.referrers.rows);
    add("browser", data.browsers.rows);
    add("utm source", data.sources.rows);
    download(`statistics-${period.from}-to-${period.to}.csv`, toCsv(rows));
  };

  return (
    <section className="statistics">
      <PageTitle>Statistics</PageTitle>
      <p className="hint">
        Days and hours in the site's time zone: <strong data-testid="time-zone">{timeZone}</strong>. Visitors are
        counted without cookies; each day's visitors are unique for that day.
      </p>
      <form className="toolbar" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>Period</legend>
          {PERIOD_CHOICES.map((option) => (
            <label key={option.value} className="inline">
              <input
                type="radio"
                name="period"
                value={option.value}
                checked={choice === option.value}
                onChange={() => setChoice(option.value)}
              />
              {option.label}
            </label>
          ))}
        </fieldset>
        {choice === "custom" && (
          <fieldset>
            <legend>Custom period</legend>
            <label className="inline">
              From
              <input
                type="date"
                value={custom.from}
                max={today}
                onChange={(e) => setCustom({ ...custom, from: e.target.value })}
              />
            </label>
            <label className="inline">
              To
              <input
                type="date"
                value={custom.to}
                max={today}
                onChange={(e) => setCustom({ ...custom, to: e.target.value })}
              />
            </label>
            {!customValid && <p className="error">Choose a first day on or before the last day.</p>}
          </fieldset>
        )}
        <button type="button" onClick={downloadCsv} disabled={!data}>
          Download CSV
        </button>
      </form>
      <p aria-live="polite" className="hint">
        {loading
          ? "Loading…"
          : `${period.from} to ${period.to}, compared with ${period.previousFrom} to ${period.previousTo}`}
      </p>
      <ErrorMessage error={error} />
      {data && (
        <>
          <dl className="totals">
            <div>
              <dt>Visitors</dt>
              <dd data-testid="total-visitors">{number.format(totals?.visitors ?? 0)}</dd>
              <dd className="previous">previous period: {number.format(previousTotals?.visitors ?? 0)}</dd>
            </div>
            <div>
              <dt>Page views</dt>
              <dd data-testid="total-pageviews">{number.format(totals?.pageviews ?? 0)}</dd>
              <dd className="previous">previous period: {number.format(previousTotals?.pageviews ?? 0)}</dd>
            </div>
          </dl>
          {chart && (
            <LineChart
              labels={chart.labels}
              series={chart.series}
              title={`Visitors and page views by ${period.series === "HOUR" ? "hour" : "day"}, with the previous period dashed`}
            />
          )}
          <details>
            <summary>The chart's figures as a table</summary>
            <SeriesTable
              rows={data.series.rows}
              previous={data.previousSeries.rows}
              hourly={period.series === "HOUR"}
            />
          </details>
          <div className="tops">
            <TopTable caption="Top pages" keyName="Page" rows={data.pages.rows} />
            <TopTable caption="Referrers" keyName="Domain" rows={data.referrers.rows} empty="Direct" />
            <TopTable caption="Browsers" keyName="Browser" rows={data.browsers.rows} empty="Unknown" />
            <TopTable caption="UTM sources" keyName="Source" rows={data.sources.rows} empty="None" />
          </div>
        </>
      )}
    </section>
  );
}

function SeriesTable({ rows, previous, hourly }: { rows: readonly Row[]; previous: readonly Row[]; hourly: boolean }) {
  return (
    <table data-testid="series">
      <caption>{hourly ? "By hour" : "By day"}</caption>
      <thead>
        <tr>
          <th scope="col">{hourly ? "Hour" : "Day"}</th>
          <th scope="col">Visitors</th>
          <th scope="col">Page views</th>
          <th scope="col">Previous visitors</th>
          <th scope="col">Previous page views</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={row.key ?? i}>
            <th scope="row">{row.key}</th>
            <td>{row.visitors ?? 0}</td>
            <td>{row.pageviews ?? 0}</td>
            <td>{previous[i]?.visitors ?? 0}</td>
            <td>{previous[i]?.pageviews ?? 0}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TopTable({
  caption,
  keyName,
  rows,
  empty = "(none)",
}: {
  caption: string;
  keyName: string;
  rows: readonly Row[];
  empty?: string;
}) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{keyName}</th>
          <th scope="col">Visitors</th>
          <th scope="col">Page views</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && (
          <tr>
            <td colSpan={3}>No page views in this period.</td>
          </tr>
        )}
        {rows.map((row) => (
          <tr key={row.key ?? "none"}>
            <th scope="row">{row.key ?? empty}</th>
            <td>{number.format(row.visitors ?? 0)}</td>
            <td>{number.format(row.pageviews ?? 0)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
