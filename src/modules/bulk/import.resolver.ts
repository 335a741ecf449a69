import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { PageArgs } from '../../graphql/connection';
import { requireId } from '../../errors/ids';
import { notFound } from '../../errors/domain-error';
import { canSeeImportJob, requireImportReader, transactionPartnerScope } from '../auth/policy';
import { Partner } from '../partner/partner.entity';
import { ImportJob, ImportJobConnection, ImportRowErrorConnection } from './import.types';
import type { ImportJobRow } from './import-jobs';

const POLL_MS = 250;

/** The job as the viewer may see it: a partner only its own (another's does not exist for it). */
async function visibleJob(ctx: Context, idInput: string, field: string): Promise<ImportJobRow | null> {
  requireImportReader(ctx.viewer);
  const job = await ctx.services.imports.byId(requireId(idInput, field));
  return job && canSeeImportJob(ctx.viewer, job.partnerId) ? job : null;
}

/** The job each time its progress moves, until it has finished (read from the database: any instance may be applying it). */
async function* progress(ctx: Context, first: ImportJobRow): AsyncGenerator<ImportJobRow> {
  let last = '';
  let job: ImportJobRow | null = first;
  while (job) {
    const now = `${job.status}:${job.rowsDone}:${job.rowsFailed}`;
    if (now !== last) {
      last = now;
      yield job;
    }
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return;
    await new Promise((r) => setTimeout(r, POLL_MS));
    job = await ctx.services.imports.byId(first.id);
  }
}

@Resolver(() => ImportJob)
export class ImportJobResolver {
  @Query(() => ImportJob, { nullable: true, description: "An import: its partner's, or an admin's to read" })
  importJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ImportJobRow | null> {
    return visibleJob(ctx, id, 'id');
  }

  @Query(() => ImportJobConnection, { description: 'Imports, newest first: a partner its own, an admin every partner’s' })
  importJobs(@Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    requireImportReader(ctx.viewer);
    return ctx.services.imports.list(transactionPartnerScope(ctx.viewer), first, after);
  }

  @Subscription(() => ImportJob, {
    description: "The job's progress until it finishes (rowsDone, rowsFailed, status)",
    // The access check before the stream starts, so a refusal is an error of the subscription, not of the socket.
    subscribe: async ({ args, context }: { args: { id: string }; context: Context }) => {
      const job = await visibleJob(context, args.id, 'id');
      if (!job) throw notFound('id', 'import job');
      return progress(context, job);
    },
  })
  importProgress(@Root() job: ImportJobRow, @Arg('id', () => ID) _id: string): ImportJobRow {
    return job;
  }

  @FieldResolver(() => ImportRowErrorConnection, { description: 'The refused rows, in row order' })
  errors(@Root() job: ImportJobRow, @Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.imports.errors(job.id, first, after);
  }

  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() job: ImportJobRow, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(job.partnerId);
  }
}
