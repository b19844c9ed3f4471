/**
 * Profiles in a real browser: the first visit takes the browser's time zone; the owner changes
 * their name (the sidebar follows) and time zone, uploads a picture and sees it next to their
 * message in chat and in the member list; the Security tab lists this device's session and a wrong
 * current password is a field error; a teammate's name in a message opens their profile card (role,
 * local time) and its "Message" button opens the DM with them.
 */
import { describe, expect, it } from "vitest";
import { unsubscribeKey, unsubscribeToken } from "../../../packages/api/src/mail/unsubscribe";
import {
  addMember,
  createWorkspace,
  harnessServices,
  LONG,
  newUserContext,
  screenshot,
  signedInSpec,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

/** A 120×80 PNG (blue): the server crops it to a square. */
const PICTURE = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAHgAAABQCAIAAABd+SbeAAAACXBIWXMAAAPoAAAD6AG1e1JrAAABHklEQVR4nO3UUY0DARTDwCJZnIVoWCXQ316eTiMFgeX49byz5/cQXig/f6Ia0AHdf3obowO6uYaMbg5OOro5jQ7o5hoyujk46ejmNDqgm2vI6ObgpKOb0+iAbq4ho5uDk45uTqMDurmGjG4OTjq6OY0O6OYaMro5OOno5jQ6oJtryOjm4KSjm9PogG6uIaObg5OObk6jA7q5hoxuDk46ujmNDujmGjK6OTjp6OY0OqCba8jo5uCko5vT6IBuriGjm4OTjm5OowO6uYaMbg5OOro5jQ7o5hoyujk46ejmNDqgm2vI6ObgpKOb0+iAbq4ho5uDk45uTqMDurmGjG4OTjq6OY0O6OYaMro5OOno5jQ6oJtryOjm4KSjOdOv+wANI0f+YmPyPgAAAABJRU5ErkJggg==",
  "base64",
);

describe("profiles", () => {
  const slug = uniqueSlug("prof");
  const owner = { email: `owner@${slug}.test`, name: "Sam", password: "owner-password-profile-1" };
  const bea = { email: `bea@${slug}.test`, name: "Bea Teammate", password: "member-password-profile-1" };
  let schema = "";
  let ownerId = "";
  let beaId = "";

  /** A user's stored time zone (the privileged connection). */
  async function storedZone(userId: string): Promise<string | null> {
    const services = await harnessServices();
    try {
      const sql = services.db.admin;
      const [row] = await sql<{ zone: string | null }[]>`
        select time_zone as zone from ${sql(schema)}.users where id = ${userId}`;
      return row?.zone ?? null;
    } finally {
      await services.close();
    }
  }

  async function until(check: () => Promise<boolean>, what: string) {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const signedIn = signedInSpec({
    slug,
    who: owner,
    prepare: async (services) => {
      const { tenant, owner: ownerActor } = await createWorkspace(services, {
        name: "Profile Co",
        slug,
        owner,
        plan: "enterprise",
      });
      schema = tenant.schemaName;
      ownerId = ownerActor.id!;
      beaId = await addMember(services, tenant, bea);
      const sql = services.db.admin;
      await sql`update ${sql(schema)}.users set time_zone = 'America/New_York' where id = ${beaId}`;
      const beaActor = { type: "user" as const, id: beaId, email: bea.email, role: "member" as const };
      const { channels } = await services.chat.listChannels(tenant, beaActor);
      const general = channels.find((c) => c.name === "general")!;
      await services.chat.send(tenant, beaActor, { channelId: general.id, body: "Hi, I am Bea" });
    },
  });

  it("takes the browser's time zone on the first visit", async () => {
    await until(async () => (await storedZone(ownerId)) === "UTC", "the browser's time zone");
    expect(await storedZone(beaId)).toBe("America/New_York");
  });

  it("changes the name and the time zone", async () => {
    const { page } = signedIn;
    await page.goto(tenantUrl(slug, "/profile"));
    const name = page.getByLabel("Name", { exact: true });
    await name.waitFor(LONG);
    await name.fill("Sam Renamed");
    await page.getByRole("button", { name: "Save name" }).click();
    await page.getByRole("status").getByText("Saved").first().waitFor(LONG);
    // The sidebar shows the new name (the page's shell is rendered again).
    await page.getByTestId("current-user").getByText("Sam Renamed").waitFor(LONG);

    await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
    await page.getByRole("button", { name: "Save time zone" }).click();
    await until(async () => (await storedZone(ownerId)) === "Asia/Tokyo", "the saved time zone");
    await page.getByText("local time (Asia/Tokyo)").waitFor(LONG);
    await screenshot(page, "profile-details");
  });

  it("uploads a picture and shows it in chat", async () => {
    const { page } = signedIn;
    await page.locator("#profile-picture").setInputFiles({
      name: "me.png",
      mimeType: "image/png",
      buffer: PICTURE,
    });
    const mine = page.locator(".person [data-avatar=picture] img");
    await mine.waitFor(LONG);
    await expect.poll(() => mine.evaluate((img: HTMLImageElement) => img.naturalWidth), LONG).toBe(256);
    await page.getByRole("button", { name: "Remove picture" }).waitFor(LONG);

    await page.goto(tenantUrl(slug, "/"));
    const composer = page.getByTestId("composer");
    await composer.waitFor(LONG);
    await composer.fill("Now with a picture");
    await composer.press("Enter");
    const message = page.getByTestId("message").filter({ hasText: "Now with a picture" });
    const avatar = message.locator("[data-avatar=picture] img");
    await avatar.waitFor(LONG);
    expect(await avatar.getAttribute("src")).toMatch(
      new RegExp(`^/api/avatars/${ownerId}\\?v=\\w+&size=thumb$`),
    );
    await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.naturalWidth), LONG).toBe(64);
    // Bea has no picture: initials.
    const beas = page.getByTestId("message").filter({ hasText: "Hi, I am Bea" });
    expect(await beas.locator("[data-avatar]").first().getAttribute("data-avatar")).toBe("initials");
    await screenshot(page, "profile-avatar-in-chat");

    // The member list shows it too (and initials for Bea).
    await page.goto(tenantUrl(slug, "/members"));
    const row = page.getByTestId(`member-${owner.email}`);
    await row.locator("[data-avatar=picture] img").waitFor(LONG);
    const beaRow = page.getByTestId(`member-${bea.email}`);
    expect(await beaRow.locator("[data-avatar]").first().getAttribute("data-avatar")).toBe("initials");
    await page.goto(tenantUrl(slug, "/"));
    await page.getByTestId("composer").waitFor(LONG);
  });

  it("lists this device's session and refuses a wrong current password on the form", async () => {
    const { page } = signedIn;
    await page.goto(tenantUrl(slug, "/profile"));
    await page.getByRole("tab", { name: "Security" }).click();
    const current = page.locator("[data-testid=session][data-current]");
    await current.getByText("This device").waitFor(LONG);
    await page.getByLabel("Current password").fill("not-my-password");
    await page.getByLabel("New password").fill("a-brand-new-password-1");
    await page.getByRole("button", { name: "Change password" }).click();
    // A field error; the page stays (an UNAUTHORIZED answer would send the browser to sign-in).
    await page.getByText("The current password is incorrect.").first().waitFor(LONG);
    expect(new URL(page.url()).pathname).toBe("/profile");
    await screenshot(page, "profile-security");
    await page.goto(tenantUrl(slug, "/"));
    await page.getByTestId("composer").waitFor(LONG);
  });

  it("turns mention emails off and on with the Profile checkbox, and off with the mail's unsubscribe link", async () => {
    const { page } = signedIn;
    const stored = async () => {
      const services = await harnessServices();
      try {
        const sql = services.db.admin;
        const [row] = await sql<{ on: boolean }[]>`
          select mention_emails as on from ${sql(schema)}.users where id = ${ownerId}`;
        return row!.on;
      } finally {
        await services.close();
      }
    };
    await page.goto(tenantUrl(slug, "/profile"));
    const box = page.getByLabel("Email me about mentions and DMs when I'm away");
    await box.waitFor(LONG);
    expect(await box.isChecked()).toBe(true);
    await box.uncheck();
    await until(async () => !(await stored()), "mention emails off");
    await page.reload();
    await box.waitFor(LONG);
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await until(stored, "mention emails on");
    await screenshot(page, "profile-mention-emails");

    // The link of a digest, opened without signing in: a confirm page; the button turns them off.
    const services = await harnessServices();
    let token = "";
    try {
      const [t] = await services.db.admin<
        { id: string }[]
      >`select id from public.tenants where slug = ${slug}`;
      token = unsubscribeToken(unsubscribeKey(services.masterKey), "mention-emails", t!.id, ownerId);
    } finally {
      await services.close();
    }
    const visitor = await newUserContext(signedIn.browser);
    try {
      const link = await visitor.newPage();
      await link.goto(tenantUrl(slug, `/api/unsubscribe?t=${token}`));
      await link.getByRole("heading", { name: "Stop mention emails?" }).waitFor(LONG);
      expect(await stored()).toBe(true);
      await link.getByRole("button", { name: "Turn off mention emails" }).click();
      await link.getByRole("heading", { name: "Mention emails are off" }).waitFor(LONG);
      expect(await stored()).toBe(false);
    } finally {
      await visitor.close();
    }
    await page.reload();
    await box.waitFor(LONG);
    expect(await box.isChecked()).toBe(false);
    await page.goto(tenantUrl(slug, "/"));
    await page.getByTestId("composer").waitFor(LONG);
  });

  it("opens a profile card from a message and starts a DM with Message", async () => {
    const { page } = signedIn;
    const beas = page.getByTestId("message").filter({ hasText: "Hi, I am Bea" });
    await beas.getByRole("button", { name: "Bea Teammate: profile" }).last().click();
    const card = page.getByRole("dialog", { name: "Bea Teammate" });
    await card.getByTestId("profile-card").waitFor(LONG);
    await card.getByText("Member", { exact: true }).waitFor(LONG);
    await card.getByText("local time (America/New York)").waitFor(LONG);
    await screenshot(page, "profile-card");
    await card.getByRole("button", { name: "Message" }).click();
    await card.waitFor({ state: "detached", ...LONG });
    await page.waitForURL(/\?c=[0-9a-f-]{36}/, LONG);
    await page.getByTestId("channel-title").getByText("Bea Teammate").waitFor(LONG);
    await screenshot(page, "profile-dm");
  });
});
