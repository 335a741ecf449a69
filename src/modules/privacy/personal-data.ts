// The one place personal fields are masked (README "Privacy"): GraphQL answers, subscription
// payloads and webhook payloads all pass a member through presentPersonalData, so a partner
// without the member's consent sees the same masked forms everywhere:
// email a•••@e•••.com, displayName's first letter, birthDate null.
export const MASK = '•••';

export interface PersonalData {
  email: string;
  displayName: string;
  birthDate: string | null;
}

/** "aisyah@example.com.my" → "a•••@e•••.my": enough to recognise one's own address, not to learn one. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return MASK;
  const [local, domain] = [email.slice(0, at), email.slice(at + 1)];
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${firstLetter(local)}${MASK}@${firstLetter(domain)}${MASK}${tld}`;
}

/** "Aisyah Rahman" → "A". */
export function maskDisplayName(name: string): string {
  return firstLetter(name.trim());
}

// By code point, so a name starting with a character outside the BMP is not cut in half.
function firstLetter(s: string): string {
  return Array.from(s)[0] ?? '';
}

/** The member as this viewer may see it: unchanged when visible, otherwise with masked personal fields. */
export function presentPersonalData<T extends PersonalData>(member: T, visible: boolean): T {
  if (visible) return member;
  return { ...member, email: maskEmail(member.email), displayName: maskDisplayName(member.displayName), birthDate: null };
}
