import { env } from "@nchat/config";
import Link from "next/link";

const features = [
  {
    title: "A workspace of your own",
    body: "Every organization gets an isolated workspace at its own address, with its own members and data.",
  },
  {
    title: "Channels and threads",
    body: "Keep conversations organized by team, project or topic, and reply in threads without the noise.",
  },
  {
    title: "Grows with your team",
    body: "Start free and move to a bigger plan when you need more members, storage or features.",
  },
] as const;

export default function HomePage() {
  const baseDomain = env().NEXT_PUBLIC_BASE_DOMAIN;

  return (
    <main>
      <section className="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">Team chat for every organization</h1>
        <p className="lead">
          nchat brings your people, channels and conversations together in one private workspace, set up in a
          minute.
        </p>
        <Link href="/signup" className="button">
          Create your workspace
        </Link>
        <p className="hint">
          Already on nchat? Sign in from your workspace address, for example{" "}
          <code>your-team.{baseDomain}</code>.
        </p>
      </section>

      <section aria-labelledby="features-title">
        <h2 id="features-title" className="sr-only">
          Why nchat
        </h2>
        <ul className="features">
          {features.map((feature) => (
            <li key={feature.title} className="card">
              <h3>{feature.title}</h3>
              <p>{feature.body}</p>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
