// The operator's staff roles (issue 17). Plain values here, below the policy that reads them; the
// GraphQL enum is registered by the staff module.
export enum StaffRole {
  /** Everything, staff accounts included. ADMIN_TOKEN is the break-glass OWNER. */
  OWNER = 'OWNER',
  /** Partners, rates, rules, rewards, challenges, surveys, tiers, settings, webhooks. */
  PROGRAM_MANAGER = 'PROGRAM_MANAGER',
  /** Settlement, statements, exports. */
  FINANCE = 'FINANCE',
  /** Member data and servicing. */
  SUPPORT = 'SUPPORT',
  /** Reads everything, writes nothing. */
  AUDITOR = 'AUDITOR',
}

export const STAFF_ROLES: readonly StaffRole[] = Object.values(StaffRole);
