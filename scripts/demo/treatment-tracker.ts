import type { DemoApi } from './demo-api';

const INBOX = /^([0-9a-f-]{36})@inbox\.demo-bank\.test$/;

/**
 * Learns whom the playbook reached from the SMTP sink: the playbook addresses its email to
 * `<profile id>@inbox.demo-bank.test`, and the profile's `USER_ID` identity (read through the
 * gateway) is the simulator's customer. Each profile is reported once.
 */
export class TreatmentTracker {
  private seen = 0;
  private readonly reported = new Set<string>();
  readonly userIdByProfile = new Map<string, string>();

  constructor(
    private readonly api: DemoApi,
    private readonly recipients: () => readonly string[],
  ) {}

  /** The user ids of customers whose first email arrived since the last call. */
  async newlyTreated(): Promise<string[]> {
    const all = this.recipients();
    const fresh: string[] = [];
    for (const address of all.slice(this.seen)) {
      const profileId = INBOX.exec(address)?.[1];
      if (profileId && !this.reported.has(profileId)) {
        this.reported.add(profileId);
        fresh.push(profileId);
      }
    }
    this.seen = all.length;
    await this.resolve(fresh);
    return fresh.map((p) => this.userIdByProfile.get(p)).filter((u): u is string => u !== undefined);
  }

  /** Reads the user ids of `profileIds`, 20 profiles a request (the gateway's alias limit). */
  private async resolve(profileIds: string[]): Promise<void> {
    for (let i = 0; i < profileIds.length; i += 20) {
      const chunk = profileIds.slice(i, i + 20);
      const fields = chunk.map((id, k) => `p${k}: profile(id: "${id}") { id identities { type value } }`).join(' ');
      const data = await this.api.gql<Record<string, { id: string; identities: { type: string; value: string }[] } | null>>(`query { ${fields} }`);
      chunk.forEach((id, k) => {
        const userId = data[`p${k}`]?.identities.find((x) => x.type === 'USER_ID')?.value;
        if (userId) this.userIdByProfile.set(id, userId);
      });
    }
  }
}
