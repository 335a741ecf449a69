// Query cost: every field costs 1, and the subtree of a paginated field (one that takes `first`)
// costs `first` times over, so nested pages multiply. A literal `first` counts as given, a variable
// as the cap (validation runs once per document, before variable values are known, so it assumes
// the worst), no `first` as the default page size. graphql-armor's cost-limit weights literal
// `first` only: `first: $n` would be costed as one row, hence this rule.
import {
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLField,
  Kind,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
  FieldNode,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../db/pagination';

/** The rows a paginated field may return, as far as the document alone tells. */
export function pageWeight(node: FieldNode): number {
  const first = node.arguments?.find((a) => a.name.value === 'first');
  if (!first) return DEFAULT_PAGE_SIZE;
  if (first.value.kind === Kind.INT) return Math.min(Math.max(Number(first.value.value), 0), MAX_PAGE_SIZE);
  if (first.value.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
  return MAX_PAGE_SIZE;
}

class CostCounter {
  /** A fragment costs the same wherever it is spread: computed once (fragment bombs stay linear). */
  private readonly fragmentCost = new Map<string, number>();
  private readonly visiting = new Set<string>();

  constructor(private readonly context: ValidationContext) {}

  selectionSet(set: SelectionSetNode, parent: GraphQLCompositeType): number {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += this.field(selection, parent);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.context.getSchema().getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += this.selectionSet(selection.selectionSet, type);
      } else {
        const fragment = this.context.getFragment(selection.name.value);
        if (fragment) total += this.fragment(fragment);
      }
    }
    return total;
  }

  private fragment(fragment: FragmentDefinitionNode): number {
    const name = fragment.name.value;
    const known = this.fragmentCost.get(name);
    if (known !== undefined) return known;
    if (this.visiting.has(name)) return 0; // a cycle: NoFragmentCyclesRule reports it
    const type = this.context.getSchema().getType(fragment.typeCondition.name.value);
    if (!type || !isCompositeType(type)) return 0;
    this.visiting.add(name);
    const cost = this.selectionSet(fragment.selectionSet, type);
    this.visiting.delete(name);
    this.fragmentCost.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType): number {
    if (!node.selectionSet) return 1;
    const def: GraphQLField<unknown, unknown> | undefined =
      isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    const type = def && getNamedType(def.type);
    if (!def || !type || !isCompositeType(type)) return 1; // unknown fields are other rules' business
    const weight = def.args.some((a) => a.name === 'first') ? pageWeight(node) : 1;
    return 1 + weight * this.selectionSet(node.selectionSet, type);
  }
}

/** Reports each operation whose cost exceeds maxCost through onOver(cost). */
export function costLimitRule(maxCost: number, onOver: (context: ValidationContext, cost: number) => void): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const root = context.getSchema().getRootType(operation.operation);
      if (!root) return;
      const cost = new CostCounter(context).selectionSet(operation.selectionSet, root);
      if (cost > maxCost) onOver(context, cost);
    },
  });
}
