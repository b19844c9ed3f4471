import { env } from "@nchat/config";
import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = {
  title: "Create your workspace",
};

export default function SignupPage() {
  const baseDomain = env().NEXT_PUBLIC_BASE_DOMAIN;

  return (
    <main>
      <section className="card form-card" aria-labelledby="signup-title">
        <h1 id="signup-title">Create your workspace</h1>
        <p>Set up a private nchat workspace for your organization. You will be its owner.</p>

        <form className="form" method="post">
          <div className="field">
            <label htmlFor="name">Organization name</label>
            <input id="name" name="name" type="text" autoComplete="organization" required maxLength={100} />
          </div>

          <div className="field">
            <label htmlFor="slug">Workspace address</label>
            <div className="input-group">
              <input
                id="slug"
                name="slug"
                type="text"
                inputMode="url"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                required
                minLength={3}
                maxLength={42}
                pattern="[a-z][a-z0-9\-]{1,40}[a-z0-9]"
                aria-describedby="slug-suffix slug-help"
              />
              <span id="slug-suffix" className="input-suffix">
                .{baseDomain}
              </span>
            </div>
            <p id="slug-help" className="field-help">
              3–42 characters: lowercase letters, digits and hyphens, starting with a letter.
            </p>
          </div>

          <div className="field">
            <label htmlFor="ownerName">Your name</label>
            <input id="ownerName" name="ownerName" type="text" autoComplete="name" required maxLength={100} />
          </div>

          <div className="field">
            <label htmlFor="email">Work email</label>
            <input id="email" name="email" type="email" autoComplete="email" required />
          </div>

          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              aria-describedby="password-help"
            />
            <p id="password-help" className="field-help">
              At least 12 characters.
            </p>
          </div>

          <button type="submit" className="button">
            Create workspace
          </button>
        </form>

        <p className="form-footer">
          Already have a workspace? Sign in at <code>your-team.{baseDomain}</code>.{" "}
          <Link href="/">Back to home</Link>
        </p>
      </section>
    </main>
  );
}
