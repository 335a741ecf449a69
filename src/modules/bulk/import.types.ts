import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../../graphql/connection';
import type { ImportJobRow } from './import-jobs';

export enum ImportKindEnum {
  MEMBERS = 'MEMBERS',
  EARNS = 'EARNS',
}
registerEnumType(ImportKindEnum, { name: 'ImportKind' });

export enum ImportStatusEnum {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(ImportStatusEnum, {
  name: 'ImportStatus',
  description: 'QUEUED: the file has arrived; RUNNING: rows are being applied; FAILED: the file could not be read (its error says why), nothing written',
});

@ObjectType({ simpleResolvers: true })
export class ImportRowError {
  @Field(() => Int, { description: 'The data row (1 = the first after the header); 0 for the header itself' })
  row!: number;

  @Field(() => String, {
    description: 'An error code (README "Errors"), ALREADY_RECORDED for a row imported before, IMPORT_FILE_INVALID for the file as a whole',
  })
  code!: string;

  @Field(() => String, { nullable: true, description: 'The column at fault' })
  field!: string | null;

  @Field(() => String)
  message!: string;
}

@ObjectType()
export class ImportRowErrorConnection extends Connection(ImportRowError, 'ImportRowError') {}

@ObjectType({ simpleResolvers: true })
export class ImportJob implements Omit<ImportJobRow, 'kind' | 'status'> {
  seq!: number;
  partnerId!: string;
  appliedThrough!: number;

  @Field(() => ID)
  id!: string;

  @Field(() => ImportKindEnum)
  kind!: ImportKindEnum;

  @Field(() => ImportStatusEnum)
  status!: ImportStatusEnum;

  @Field(() => Int, { nullable: true, description: 'Data rows in the file' })
  rowsTotal!: number | null;

  @Field(() => Int, { description: 'Rows written so far' })
  rowsDone!: number;

  @Field(() => Int, { description: 'Rows refused so far (each in errors)' })
  rowsFailed!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType()
export class ImportJobConnection extends Connection(ImportJob, 'ImportJob') {}
