import { Role, type RequestContext } from "@honour/platform";
import type { ArticleDraft } from "../article/article.service";
import { UserEntity } from "../user/user.entity";
import type { UsersServices } from "../users.module";

/**
 * The password of every demo account. Demo data is for development and demonstrations only
 * (`HONOUR_DEMO_DATA`, off in production by default); never seed a reachable site with it.
 */
export const DEMO_PASSWORD = "honour-demo-password";

/** A demo account to print at start-up. */
export interface DemoCredentials {
  email: string;
  password: string;
  role: Role;
}

/** One customer and one account per staff role, on a reserved (RFC 2606) domain. */
export const DEMO_ACCOUNTS: readonly { email: string; name: string; role: Role }[] = [
  { email: "customer@demo.example.com", name: "Casey Customer", role: Role.CUSTOMER },
  { email: "support@demo.example.com", name: "Sam Support", role: Role.SUPPORT },
  { email: "marketing@demo.example.com", name: "Morgan Marketing", role: Role.MARKETING },
  { email: "security@demo.example.com", name: "Sasha Security", role: Role.SECURITY },
  { email: "admin@demo.example.com", name: "Alex Admin", role: Role.ADMIN },
];

/** Two public and two premium articles. */
export const DEMO_ARTICLES: readonly ArticleDraft[] = [
  {
    slug: "welcome",
    title: "Welcome to Honour",
    summary: "Who we are and what you will find on this site.",
    body: "We build products for organisations that take their customers' trust seriously. This site has product news, guides and, for registered visitors, in-depth premium articles.",
    premium: false,
  },
  {
    slug: "how-we-use-your-data",
    title: "How we use your data",
    summary: "The promises of our privacy policy, and how our systems keep them.",
    body: "We ask only for what we need, keep payment card numbers away from our servers, never store your IP address for our statistics, and let you withdraw consent with one click.",
    premium: false,
  },
  {
    slug: "deployment-guide",
    title: "Deployment guide",
    summary: "A step-by-step guide to rolling out our products across an organisation.",
    body: "Start with a pilot team, measure what changes, then roll out in waves. This guide walks through each stage with checklists and the pitfalls our customers met along the way.",
    premium: true,
  },
  {
    slug: "security-whitepaper",
    title: "Security white paper",
    summary: "How our products protect your organisation's data, in detail.",
    body: "Every secret is hashed or encrypted at rest, sessions are opaque random tokens of which we store only a hash, and passwords use a memory-hard function with per-user salts.",
    premium: true,
  },
];

/**
 * Seeds demo accounts ({@link DEMO_ACCOUNTS}, password {@link DEMO_PASSWORD}) and articles
 * ({@link DEMO_ARTICLES}) when there are no accounts yet, in one transaction. Returns the
 * credentials to print, or null when the database had accounts (nothing is changed then).
 * Run it before `ensureAdmin`, which creates an account of its own.
 */
export async function seedDemoData(ctx: RequestContext, services: UsersServices): Promise<DemoCredentials[] | null> {
  if (await ctx.manager.exists(UserEntity)) return null;
  return ctx.transaction(async (tx) => {
    const credentials: DemoCredentials[] = [];
    for (const account of DEMO_ACCOUNTS) {
      const user = await services.users.register(tx, {
        email: account.email,
        name: account.name,
        password: DEMO_PASSWORD,
      });
      if (account.role !== Role.CUSTOMER) await services.users.setRole(tx, user.id, account.role);
      credentials.push({ email: user.email, password: DEMO_PASSWORD, role: account.role });
    }
    for (const article of DEMO_ARTICLES) {
      // Articles outlive accounts (staff may have written these already): keep what is there.
      if (!(await services.articles.findBySlug(tx, article.slug))) await services.articles.create(tx, article);
    }
    return credentials;
  });
}
