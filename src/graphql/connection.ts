// Relay connections: opaque cursors over a keyset (a monotonic seq column), page size capped.
import { ArgsType, ClassType, Field, Int, ObjectType } from 'type-graphql';
import { Max, Min } from 'class-validator';
import { badInput } from '../errors/domain-error';
import { ListSize } from './list-size';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `Page size, 0 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})` })
  @Min(0)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  after?: string;
}

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
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
export function toPage<T extends { seq: number }>(kind: string, rows: T[], size: number, totalCount: number): Page<T> {
  const edges = rows.slice(0, size).map((node) => ({ cursor: encodeCursor(kind, node.seq), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}

export function Connection<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class ConnectionType {
    @Field(() => [Edge])
    @ListSize({ page: true })
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int)
    totalCount!: number;
  }
  return ConnectionType;
}
