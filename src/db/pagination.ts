// Keyset pagination for services: opaque cursors over a monotonic seq column, page size capped.
// Plain data only; the GraphQL side (PageArgs, the Connection types) is graphql/connection.ts.
import { badInput } from '../errors/domain-error';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /**
   * The size of the whole filtered list, counted only when a client selects it (GraphQL's default
   * resolver calls a function-valued field): a page costs its rows, and only `totalCount` costs
   * the list. Memoized, so aliases count once.
   */
  totalCount: number | (() => Promise<number>);
}

/** A count run at most once, and only if asked for. */
export function lazyCount(count: () => Promise<number>): () => Promise<number> {
  let counted: Promise<number> | null = null;
  return () => (counted ??= count());
}

export function encodeCursor(kind: string, seq: number): string {
  return Buffer.from(`${kind}:${seq}`).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | undefined | null): number | null {
  if (cursor === undefined || cursor === null) return null;
  const [k, seq] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (k !== kind || !/^\d{1,18}$/.test(seq ?? '')) throw badInput('after', 'not a cursor from this list');
  return Number(seq);
}

export function pageSize(first: number | undefined | null): number {
  return first ?? DEFAULT_PAGE_SIZE;
}

/** Build a page from rows fetched with LIMIT size + 1 (the extra row tells hasNextPage). */
export function toPage<T extends { seq: number }>(kind: string, rows: T[], size: number, totalCount: Page<T>['totalCount']): Page<T> {
  const edges = rows.slice(0, size).map((node) => ({ cursor: encodeCursor(kind, node.seq), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
