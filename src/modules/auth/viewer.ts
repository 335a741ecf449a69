// Who is calling. Identity always comes from the token, never from the input.
export type Viewer =
  | { kind: 'anonymous' }
  | { kind: 'admin' }
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

/** The partner a caller speaks for: a partner key's own partner; null for an admin or a member. */
export function partnerIdOf(viewer: Viewer): string | null {
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/** The string `viewer` returns and the scope idempotency keys live in. */
export function viewerLabel(viewer: Viewer): string {
  switch (viewer.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'admin':
      return 'admin';
    case 'partner':
      return `partner:${viewer.slug}`;
    case 'member':
      return `member:${viewer.memberId}`;
  }
}

/** Idempotency scope: stable ids, not slugs (a slug is a name, a partner's id is forever). */
export function callerScope(viewer: Caller): string {
  switch (viewer.kind) {
    case 'admin':
      return 'admin';
    case 'partner':
      return `partner:${viewer.partnerId}`;
    case 'member':
      return `member:${viewer.memberId}`;
  }
}
