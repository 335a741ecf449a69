// A member's personal fields, checked the same way at enrolment and at updateMember.
import { badInput } from '../../errors/domain-error';
import { requireText } from '../../errors/text';

// Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is the partner's job.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function validEmail(value: string, field = 'input.email'): string {
  const email = requireText(value.trim(), field);
  if (email.length > 254 || !EMAIL.test(email)) throw badInput(field, `"${email.slice(0, 64)}" is not a valid email address`);
  return email;
}

export function validDisplayName(value: string, field = 'input.displayName'): string {
  const displayName = requireText(value.trim(), field);
  if (displayName.length < 1 || displayName.length > 255) throw badInput(field, 'must be 1 to 255 characters');
  return displayName;
}

export function validBirthDate(value: string, field = 'input.birthDate'): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw badInput(field, 'use YYYY-MM-DD');
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) throw badInput(field, 'not a real date');
  if (date.getTime() > Date.now()) throw badInput(field, 'cannot be in the future');
  if (date.getUTCFullYear() < 1900) throw badInput(field, 'must be after 1900');
  return value;
}
