/** Once per server process: see `startServerProcess` in @nchat/api. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServerProcess } = await import("@nchat/api/server-process");
  startServerProcess();
}
