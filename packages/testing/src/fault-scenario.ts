/**
 * What the apps' fault scenarios (`npm run test:faults`) share: the MariaDB server addressed the
 * way a user writes it, and the one line of figures each scenario prints.
 */

/** Points `TEST_DATABASE_URL` at its server (or the machines' MariaDB) through `mysql://`, as users write it. */
export function useMysqlUrl(): void {
  const url = process.env.TEST_DATABASE_URL ?? "mysql://root@127.0.0.1:3306/test";
  process.env.TEST_DATABASE_URL = url.replace(/^mariadb:/, "mysql:");
}

/** Prints a scenario's one line of figures (`[faults] <app> <scenario>: name=value …`, copied to the READMEs). */
export function printFaultFigures(
  app: string,
  scenario: string,
  figures: Record<string, string | number | boolean>,
): void {
  const text = Object.entries(figures)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
  process.stdout.write(`[faults] ${app} ${scenario}: ${text}\n`);
}
