/** The server's password rule (10–256 characters with an uppercase, a lowercase and a digit), as a checklist. */
export const PASSWORD_RULES = [
  { id: 'length', label: 'At least 10 characters', test: (p: string) => p.length >= 10 && p.length <= 256 },
  { id: 'upper', label: 'An uppercase letter (A–Z)', test: (p: string) => /[A-Z]/.test(p) },
  { id: 'lower', label: 'A lowercase letter (a–z)', test: (p: string) => /[a-z]/.test(p) },
  { id: 'digit', label: 'A digit (0–9)', test: (p: string) => /[0-9]/.test(p) },
] as const;

export type PasswordRuleId = (typeof PASSWORD_RULES)[number]['id'];

export function unmetPasswordRules(password: string): PasswordRuleId[] {
  return PASSWORD_RULES.filter((r) => !r.test(password)).map((r) => r.id);
}
