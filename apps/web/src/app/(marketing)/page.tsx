import { PLANS, type PlanId } from "@nchat/billing/plans";
import { env } from "@nchat/config";
import Link from "next/link";
import { formatGigabytes } from "@/lib/format";

const features = [
  {
    title: "A workspace of your own",
    body: "Every organization gets an isolated workspace at its own address, with its own members, data and branding.",
    icon: "🏢",
  },
  {
    title: "Channels, DMs and threads",
    body: "Keep conversations organized by team, project or topic, and reply in threads without the noise.",
    icon: "💬",
  },
  {
    title: "Live, everywhere",
    body: "Messages, reactions and typing indicators arrive instantly in every open tab — no refresh.",
    icon: "⚡",
  },
  {
    title: "Files and mentions",
    body: "Share files with your team and @mention the people who need to see something.",
    icon: "📎",
  },
  {
    title: "Secure by design",
    body: "Each workspace's data lives in its own database schema, guarded by the database itself.",
    icon: "🔒",
  },
  {
    title: "Grows with your team",
    body: "Start free and move to a bigger plan when you need more members, storage or features.",
    icon: "📈",
  },
] as const;

const SHOWN: PlanId[] = ["free", "pro", "enterprise"];

const limit = (n: number, unit = "") => (n < 0 ? "Unlimited" : `${n.toLocaleString("en-US")}${unit}`);

export default function HomePage() {
  const baseDomain = env().NEXT_PUBLIC_BASE_DOMAIN;
  const customDomains = env().ENABLE_CUSTOM_DOMAINS;

  return (
    <main className="marketing-main">
      <section className="hero" aria-labelledby="hero-title">
        <p className="eyebrow">Team chat for every organization</p>
        <h1 id="hero-title">
          Where your team&apos;s conversations <span className="accent">come together</span>
        </h1>
        <p className="lead">
          nchat brings your people, channels and conversations together in one private workspace — set up in a
          minute, at your own address.
        </p>
        <div className="hero-actions">
          <Link href="/signup" className="btn btn-primary btn-lg">
            Create your workspace
          </Link>
          <a href="#pricing" className="btn btn-secondary btn-lg">
            See pricing
          </a>
        </div>
        <p className="hint">
          Already on nchat? Sign in from your workspace address, for example{" "}
          <code>your-team.{baseDomain}</code>.
        </p>
      </section>

      <section id="features" aria-labelledby="features-title" className="section">
        <h2 id="features-title" className="section-title">
          Everything a team needs to talk
        </h2>
        <ul className="features">
          {features.map((feature) => (
            <li key={feature.title} className="card feature-card">
              <span className="feature-icon" aria-hidden="true">
                {feature.icon}
              </span>
              <h3>{feature.title}</h3>
              <p>{feature.body}</p>
            </li>
          ))}
        </ul>
      </section>

      <section id="pricing" aria-labelledby="pricing-title" className="section">
        <h2 id="pricing-title" className="section-title">
          Simple pricing
        </h2>
        <ul className="pricing">
          {SHOWN.map((id) => {
            const plan = PLANS[id];
            return (
              <li key={id} className={`card price-card${id === "pro" ? " price-card-featured" : ""}`}>
                {id === "pro" ? <span className="price-tag">Most popular</span> : null}
                <h3>{plan.name}</h3>
                <p className="price">
                  {plan.price.month === null ? "Custom" : `$${plan.price.month / 100}`}
                  <span>{plan.price.month ? " / month" : ""}</span>
                </p>
                <ul className="price-features">
                  <li>{limit(plan.limits.users)} members</li>
                  <li>{limit(plan.limits.channels)} channels</li>
                  <li>{formatGigabytes(plan.limits.storageGb)} storage</li>
                  <li>{limit(plan.limits.apiCallsPerMonth)} API calls / month</li>
                  {plan.features.threads ? (
                    <li>Threads &amp; private channels</li>
                  ) : (
                    <li>Channels, DMs &amp; reactions</li>
                  )}
                  {plan.features.customBranding ? (
                    // A custom domain only where the platform has them on (ENABLE_CUSTOM_DOMAINS).
                    <li>
                      Custom branding
                      {plan.features.customDomains && customDomains ? <> &amp; domain</> : null}
                    </li>
                  ) : null}
                  {plan.features.sso ? <li>SSO, audit logs, priority support</li> : null}
                </ul>
                <Link
                  href="/signup"
                  className={`btn ${id === "pro" ? "btn-primary" : "btn-secondary"} btn-block`}
                >
                  {id === "free" ? "Start free" : "Start with Free, upgrade anytime"}
                </Link>
              </li>
            );
          })}
        </ul>
      </section>
    </main>
  );
}
