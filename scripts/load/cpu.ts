import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * CPU time (ms, user + system) used so far by the processes of this machine whose command name
 * starts with one of `names` (e.g. "postgres", "redis-server"); null where /proc is not readable.
 * Processes that exit in between are not counted: take both readings while they run.
 */
export function cpuMsOf(names: string[]): number | null {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      if (!names.some((n) => comm.startsWith(n))) continue;
      const fields = stat.slice(close + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / TICKS_PER_S;
}

/** This process's CPU time so far (ms, user + system). */
export const ownCpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
