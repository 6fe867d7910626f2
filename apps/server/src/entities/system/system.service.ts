import type { SystemRepository } from './system.repository.ts';

/** Health and first-run state for the public system routes. */
export class SystemService {
  constructor(private readonly system: SystemRepository) {}

  async databaseUp(): Promise<boolean> {
    try {
      await this.system.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** No account exists yet: the UI shows the first-account setup. */
  async needsSetup(): Promise<boolean> {
    return !(await this.system.anyUser());
  }
}
