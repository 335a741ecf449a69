// Query cost: every field costs 1, and the subtree of a list costs as many times over as the list
// may have items, so nested lists multiply. A paginated field (one that takes `first`) counts a
// literal `first` as given, a variable as the cap (validation runs once per document, before
// variable values are known, so it assumes the worst), no `first` as the default page size.
// graphql-armor's cost-limit weights literal `first` only: `first: $n` would be costed as one row,
// hence this rule. An unpaginated list counts its declared maximum (see list-size.ts); one that
// grows with history counts once here and by its real length when it resolves (response-budget.ts).
import {
  FieldNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLOutputType,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../db/pagination';
import { listSizeOf } from './list-size';

/** The rows a paginated field may return, as far as the document alone tells. */
export function pageWeight(node: FieldNode): number {
  const first = node.arguments?.find((a) => a.name.value === 'first');
  if (!first) return DEFAULT_PAGE_SIZE;
  if (first.value.kind === Kind.INT) return Math.min(Math.max(Number(first.value.value), 0), MAX_PAGE_SIZE);
  if (first.value.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
  return MAX_PAGE_SIZE;
}

/** How many times over a field's subtree counts. */
function listWeight(def: GraphQLField<unknown, unknown>, node: FieldNode): number {
  if (def.args.some((a) => a.name === 'first')) return pageWeight(node);
  if (!isListType(getNullableType(def.type))) return 1;
  const size = listSizeOf(def);
  // Undeclared (test/list-cost.test.ts keeps every list declared): assume a full page.
  if (!size) return MAX_PAGE_SIZE;
  return 'max' in size ? size.max : 1;
}

/** What the counter needs of a document: at validation, the ValidationContext; at execution, the resolve info. */
export interface CostSource {
  schema: GraphQLSchema;
  fragment(name: string): FragmentDefinitionNode | null | undefined;
}

class CostCounter {
  /** A fragment costs the same wherever it is spread: computed once (fragment bombs stay linear). */
  private readonly fragmentCost = new Map<string, number>();
  private readonly visiting = new Set<string>();

  constructor(private readonly source: CostSource) {}

  selectionSet(set: SelectionSetNode, parent: GraphQLCompositeType): number {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += this.field(selection, parent);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.source.schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += this.selectionSet(selection.selectionSet, type);
      } else {
        const fragment = this.source.fragment(selection.name.value);
        if (fragment) total += this.fragment(fragment);
      }
    }
    return total;
  }

  /** One item of a field: 1 for a leaf, else its selection's cost. */
  item(node: FieldNode, type: GraphQLOutputType): number {
    const named = getNamedType(type);
    return node.selectionSet && isCompositeType(named) ? this.selectionSet(node.selectionSet, named) : 1;
  }

  private fragment(fragment: FragmentDefinitionNode): number {
    const name = fragment.name.value;
    const known = this.fragmentCost.get(name);
    if (known !== undefined) return known;
    if (this.visiting.has(name)) return 0; // a cycle: NoFragmentCyclesRule reports it
    const type = this.source.schema.getType(fragment.typeCondition.name.value);
    if (!type || !isCompositeType(type)) return 0;
    this.visiting.add(name);
    const cost = this.selectionSet(fragment.selectionSet, type);
    this.visiting.delete(name);
    this.fragmentCost.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType): number {
    const def: GraphQLField<unknown, unknown> | undefined = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    if (!def) return 1; // unknown fields are other rules' business; meta-fields (__schema, __type) cost 1
    const weight = listWeight(def, node);
    const type = getNamedType(def.type);
    // A leaf costs 1, a list of leaves its weight.
    if (!node.selectionSet || !isCompositeType(type)) return weight;
    return 1 + weight * this.selectionSet(node.selectionSet, type);
  }
}

/** The static cost of an operation: what validation checks, and where the response budget starts. */
export function operationCost(source: CostSource, operation: OperationDefinitionNode): number {
  const root = source.schema.getRootType(operation.operation);
  return root ? new CostCounter(source).selectionSet(operation.selectionSet, root) : 0;
}

/** The cost of one item of a list field (the merged field nodes of one response key). */
export function listItemCost(source: CostSource, nodes: readonly FieldNode[], type: GraphQLOutputType): number {
  const counter = new CostCounter(source);
  return nodes.reduce((sum, node) => sum + counter.item(node, type), 0);
}

/** Reports each operation whose cost exceeds maxCost through onOver(cost). */
export function costLimitRule(maxCost: number, onOver: (context: ValidationContext, cost: number) => void): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const source: CostSource = { schema: context.getSchema(), fragment: (name) => context.getFragment(name) };
      const cost = operationCost(source, operation);
      if (cost > maxCost) onOver(context, cost);
    },
  });
}
