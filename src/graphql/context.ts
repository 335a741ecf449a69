// The context every resolver receives (@Ctx() ctx: Context): who is calling, the operation's
// DataLoaders and the services. Declared empty here, below every feature, and completed by the
// composition root (src/app/context.ts, through declaration merging), which also builds it: a
// resolver names this type without importing src/app, and graphql/ names no feature.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- its members are merged in by src/app/context.ts
export interface Context {}
