import { Type, type Static } from 'typebox';
import { DateTime, entityMeta, Nullable } from '../common.ts';

export const OnboardingOperation = Type.Enum([
  'OrgCreated',
  'OnboardingModalCompleted',
  'PlanSelected',
  'FirstDaemonRegistered',
  'FirstTopologyRebuild',
  'FirstDiscoveryCompleted',
  'FirstHostDiscovered',
  'SecondNetworkCreated',
  'FirstTagCreated',
  'FirstGroupCreated',
  'FirstUserApiKeyCreated',
  'FirstSnmpCredentialCreated',
  'InviteSent',
  'InviteAccepted',
  'ProfileCompleted',
]);
export type OnboardingOperation = Static<typeof OnboardingOperation>;

const OptionalCount = Type.Optional(Nullable(Type.Integer()));

export const BillingPlan = Type.Object({
  type: Type.Enum([
    'Community',
    'Free',
    'Starter',
    'Pro',
    'Team',
    'Business',
    'Enterprise',
    'Demo',
    'CommercialSelfHosted',
  ]),
  base_cents: Type.Integer(),
  rate: Type.Enum(['Month', 'Year']),
  trial_days: Type.Integer({ minimum: 0 }),
  seat_cents: OptionalCount,
  network_cents: OptionalCount,
  host_cents: OptionalCount,
  included_seats: OptionalCount,
  included_networks: OptionalCount,
  included_hosts: OptionalCount,
});
export type BillingPlan = Static<typeof BillingPlan>;

export const Organization = Type.Object({
  ...entityMeta,
  name: Type.String(),
  plan: Nullable(BillingPlan),
  plan_status: Nullable(Type.String()),
  onboarding: Type.Array(OnboardingOperation),
  has_payment_method: Type.Boolean(),
  trial_end_date: Nullable(DateTime),
});
export type Organization = Static<typeof Organization>;
