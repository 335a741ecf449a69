// CPU time from /proc (Linux only): what work costs the gateway process and its database's
// backends whatever else the shared machine is doing (bench:ab per request, the imports per row).
import { readFileSync, readdirSync } from 'node:fs';

/** utime + stime of a process, in clock ticks (100 a second on Linux); 0 once it is gone. */
export function ticks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving one database: their command line names it. */
export function backendsOf(database: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(` ${database} `);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** CPU ticks now of the gateway process and of the backends of its database (named by its URL). */
export function cpuTicks(gatewayPid: number, databaseUrl: string): { gateway: number; database: number } {
  const name = new URL(databaseUrl).pathname.slice(1);
  return { gateway: ticks(gatewayPid), database: backendsOf(name).reduce((sum, pid) => sum + ticks(pid), 0) };
}
