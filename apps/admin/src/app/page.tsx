export default function AdminSignInPage() {
  return (
    <main>
      <section className="card form-card" aria-labelledby="signin-title">
        <h1 id="signin-title">nchat admin</h1>
        <p>Sign in with your super-admin account.</p>

        <form className="form" method="post">
          <div className="field">
            <label htmlFor="email">Email</label>
            <input id="email" name="email" type="email" autoComplete="username" required />
          </div>

          <div className="field">
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required />
          </div>

          <button type="submit" className="button">
            Sign in
          </button>
        </form>
      </section>
    </main>
  );
}
