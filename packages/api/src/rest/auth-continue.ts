import { SESSION_COOKIE, secureCookies, sessionCookie } from "../auth/cookies";
import type { Services } from "../server";
import type { ResolvedTenant } from "../tenancy/resolver";
import { requestMeta } from "../trpc";

/**
 * GET /auth/continue?token=… on a tenant host: trades a single-use sign-in link (from sign-up) for
 * a session cookie on this host, then sends the user into the workspace. A used or expired link
 * lands on the sign-in page with a note.
 */
export async function continueSignIn(
  services: Services,
  tenant: ResolvedTenant | null,
  request: Request,
): Promise<Response> {
  const url = new URL(request.url);
  const token = url.searchParams.get("token") ?? "";
  const to = (path: string) => new URL(path, `${url.protocol}//${request.headers.get("host") ?? url.host}`);
  if (!tenant || !token || token.length > 200) return Response.redirect(to("/login?error=link"), 303);
  try {
    const { token: session, session: s } = await services.auth.exchangeLoginToken(
      tenant,
      token,
      requestMeta(request.headers),
    );
    return new Response(null, {
      status: 303,
      headers: {
        location: to("/").toString(),
        "set-cookie": sessionCookie(SESSION_COOKIE, session, s.expiresAt, secureCookies(services.env)),
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
      },
    });
  } catch {
    return Response.redirect(to("/login?error=link"), 303);
  }
}
