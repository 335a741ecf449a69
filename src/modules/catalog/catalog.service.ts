import { DataSource } from 'typeorm';
import { query } from '../../db/sql';
import { REWARD_COLUMNS, Reward } from './reward.entity';

export class CatalogService {
  constructor(private readonly db: DataSource) {}

  async byIds(ids: readonly string[]): Promise<Reward[]> {
    return query<Reward>(this.db, `SELECT ${REWARD_COLUMNS} FROM reward WHERE id = ANY($1::uuid[])`, [ids]);
  }
}
