// The response budget: what the document alone cannot tell, counted while the operation executes.
// - Cost: a list that grows with history (declared `measured`, see list-size.ts) counted once at
//   validation; here each one adds (length − 1) × the cost of one item as it resolves, so the
//   operation's cost is its real one, checked against the same MAX_QUERY_COST.
// - Size: every list item and every object resolved counts towards MAX_RESPONSE_OBJECTS, whatever
//   the declarations say (a ceiling on the response, not an estimate).
// Past either, every field still to resolve fails at once (no more database work), and the client
// gets one QUERY_TOO_COMPLEX error and no data (HTTP 400), never a truncated body.
import {
  GraphQLError,
  GraphQLFieldResolver,
  GraphQLResolveInfo,
  GraphQLSchema,
  OperationDefinitionNode,
  FieldNode,
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { QueryLimits } from '../config';
import { CostSource, listItemCost, operationCost } from './cost-limit.rule';
import { listSizeOf } from './list-size';
import { queryLimitError } from './validation';

const sourceOf = (info: GraphQLResolveInfo): CostSource => ({ schema: info.schema, fragment: (name) => info.fragments[name] });

// Documents are cached (Apollo's document store), so these are computed once per document.
const operationCosts = new WeakMap<OperationDefinitionNode, number>();
const itemCosts = new WeakMap<FieldNode, number>();

export class ResponseBudget {
  private cost: number | null = null;
  private objects = 0;
  /** Set once a limit is passed: the error the whole response becomes. */
  exceeded: GraphQLError | null = null;

  constructor(private readonly limits: Pick<QueryLimits, 'maxCost' | 'maxResponseObjects'>) {}

  /** A budget of its own for each event of a subscription. */
  fresh(): ResponseBudget {
    return new ResponseBudget(this.limits);
  }

  /** Before a field resolves: refuses once the budget is spent, else starts from the document's cost. */
  open(info: GraphQLResolveInfo): void {
    if (this.exceeded) throw this.exceeded;
    if (this.cost !== null) return;
    let cost = operationCosts.get(info.operation);
    if (cost === undefined) operationCosts.set(info.operation, (cost = operationCost(sourceOf(info), info.operation)));
    this.cost = cost;
  }

  /** After a field resolved: counts what it returned. */
  account<T>(value: T, info: GraphQLResolveInfo, field: BudgetedField): T {
    // Resolvers already in flight when the budget ran out: their results are dropped too.
    if (this.exceeded) throw this.exceeded;
    if (Array.isArray(value)) {
      this.count(value.length);
      if (field.measured && value.length > 1) {
        let item = itemCosts.get(info.fieldNodes[0]!);
        if (item === undefined) itemCosts.set(info.fieldNodes[0]!, (item = listItemCost(sourceOf(info), info.fieldNodes, info.returnType)));
        this.charge((value.length - 1) * item);
      }
    } else if (field.composite && value !== null && value !== undefined) {
      this.count(1);
    }
    return value;
  }

  private charge(cost: number): void {
    this.cost = (this.cost ?? 0) + cost;
    if (this.cost <= this.limits.maxCost) return;
    this.fail(
      queryLimitError(
        'cost',
        `Query cost limit of ${this.limits.maxCost} exceeded, found ${this.cost} (lists counted by their real length).`,
        this.limits.maxCost,
      ),
    );
  }

  private count(objects: number): void {
    this.objects += objects;
    if (this.objects <= this.limits.maxResponseObjects) return;
    this.fail(
      queryLimitError(
        'objects',
        `Response limit of ${this.limits.maxResponseObjects} objects exceeded: ask for fewer or smaller lists.`,
        this.limits.maxResponseObjects,
      ),
    );
  }

  private fail(error: GraphQLError): never {
    this.exceeded = error;
    throw error;
  }
}

interface BudgetedField {
  composite: boolean;
  measured: boolean;
  /** A subscription's per-event resolver: each event is a response of its own. */
  perEvent: boolean;
}

interface BudgetedContext {
  budget?: ResponseBudget;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function budgeted(resolve: GraphQLFieldResolver<unknown, BudgetedContext>, field: BudgetedField): GraphQLFieldResolver<unknown, BudgetedContext> {
  return (source, args, ctx, info) => {
    if (!ctx?.budget) return resolve(source, args, ctx, info);
    if (field.perEvent) ctx.budget = ctx.budget.fresh();
    const budget = ctx.budget;
    budget.open(info);
    const value = resolve(source, args, ctx, info);
    return isPromiseLike(value) ? Promise.resolve(value).then((v) => budget.account(v, info, field)) : budget.account(value, info, field);
  };
}

const budgetedSchemas = new WeakSet<GraphQLSchema>();

/**
 * Wraps every field that returns a list or an object, or runs a resolver of its own, to count it
 * against the request's budget (plain scalar properties are left alone: nothing to count or stop).
 * In place and once per schema; the limits come from each request's context.
 */
export function enforceResponseBudget(schema: GraphQLSchema): void {
  if (budgetedSchemas.has(schema)) return;
  budgetedSchemas.add(schema);
  const subscription = schema.getSubscriptionType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const list = isListType(getNullableType(field.type));
      const composite = isCompositeType(getNamedType(field.type));
      if (!list && !composite && !field.resolve) continue;
      const size = listSizeOf(field);
      field.resolve = budgeted(field.resolve ?? defaultFieldResolver, {
        composite,
        measured: list && size !== undefined && 'measured' in size,
        perEvent: type === subscription,
      });
    }
  }
}

/** Over HTTP: a spent budget turns the whole response into its one error. */
export const responseBudgetPlugin: ApolloServerPlugin<BudgetedContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        const exceeded = contextValue.budget?.exceeded;
        if (!exceeded || response.body.kind !== 'single') return;
        response.body.singleResult = { errors: [{ message: exceeded.message, extensions: { ...exceeded.extensions } }] };
        response.http.status = 400;
      },
    };
  },
};
