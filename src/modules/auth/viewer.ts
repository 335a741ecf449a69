// Who is calling. Identity always comes from the token, never from the input.
import { StaffRole } from './staff-role';

export type Viewer =
  | { kind: 'anonymous' }
  /**
   * The operator's people: a staff user with its roles (a staff token from staffLogin), or, with
   * staffUserId null, the break-glass ADMIN_TOKEN, an OWNER. What each may do is the policy's
   * capability table (auth/policy.ts), never a check of the kind alone.
   */
  | { kind: 'staff'; staffUserId: string | null; roles: readonly StaffRole[]; sessionExpiresAt: Date | null }
  | {
      kind: 'partner';
      partnerId: string;
      slug: string;
      suspended: boolean;
      apiKeyId: string;
      /** The key's public prefix (lgk_<prefix>_…): what the audit trail names. */
      keyPrefix: string;
      /** Set while a rotated key runs out its grace period. */
      keyExpiresAt: Date | null;
    }
  | { kind: 'member'; memberId: string; issuedByPartnerId: string | null; expiresAt: Date };

export type Caller = Exclude<Viewer, { kind: 'anonymous' }>;
export type StaffCaller = Extract<Viewer, { kind: 'staff' }>;

/** ADMIN_TOKEN: the break-glass owner, for scripts and the first login. */
export const BREAK_GLASS: StaffCaller = Object.freeze({ kind: 'staff', staffUserId: null, roles: Object.freeze([StaffRole.OWNER]), sessionExpiresAt: null });

/** The partner a caller speaks for: a partner key's own partner; null for staff or a member. */
export function partnerIdOf(viewer: Viewer): string | null {
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/** The string `viewer` returns and the scope idempotency keys live in. */
export function viewerLabel(viewer: Viewer): string {
  switch (viewer.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'staff':
      return viewer.staffUserId === null ? 'admin' : `staff:${viewer.staffUserId}`;
    case 'partner':
      return `partner:${viewer.slug}`;
    case 'member':
      return `member:${viewer.memberId}`;
  }
}

/** Idempotency scope: stable ids, not slugs (a slug is a name, a partner's id is forever). */
export function callerScope(viewer: Caller): string {
  switch (viewer.kind) {
    case 'staff':
      return viewer.staffUserId === null ? 'admin' : `staff:${viewer.staffUserId}`;
    case 'partner':
      return `partner:${viewer.partnerId}`;
    case 'member':
      return `member:${viewer.memberId}`;
  }
}
