import Boxes from 'lucide-svelte/icons/boxes';
import Building2 from 'lucide-svelte/icons/building-2';
import Cable from 'lucide-svelte/icons/cable';
import KeyRound from 'lucide-svelte/icons/key-round';
import Layers from 'lucide-svelte/icons/layers';
import House from 'lucide-svelte/icons/house';
import Network from 'lucide-svelte/icons/network';
import Radar from 'lucide-svelte/icons/radar';
import SatelliteDish from 'lucide-svelte/icons/satellite-dish';
import Server from 'lucide-svelte/icons/server';
import Share2 from 'lucide-svelte/icons/share-2';
import Tag from 'lucide-svelte/icons/tag';
import UserRound from 'lucide-svelte/icons/user-round';
import Users from 'lucide-svelte/icons/users';
import Waypoints from 'lucide-svelte/icons/waypoints';
import type { PermissionLevel } from '$lib/api/types.ts';

export interface NavLink {
  href: string;
  label: string;
  icon: typeof Server;
  testid: string;
  /** The weakest role that sees the entry (the server enforces the same). */
  minRole?: PermissionLevel;
}

export interface NavSection {
  label: string;
  links: NavLink[];
}

/** The sidebar of topology-ui.md §6.3: one entry per page of the app. */
export const NAV: NavSection[] = [
  {
    label: 'Overview',
    links: [{ href: '/', label: 'Home', icon: House, testid: 'nav-home' }],
  },
  {
    label: 'Visualize',
    links: [
      { href: '/topology', label: 'Topology', icon: Waypoints, testid: 'nav-topology' },
      { href: '/groups', label: 'Groups', icon: Layers, testid: 'nav-groups' },
      { href: '/shares', label: 'Shares', icon: Share2, testid: 'nav-shares' },
    ],
  },
  {
    label: 'Discover',
    links: [
      { href: '/discovery', label: 'Discovery', icon: Radar, testid: 'nav-discovery' },
      { href: '/daemons', label: 'Daemons', icon: SatelliteDish, testid: 'nav-daemons' },
    ],
  },
  {
    label: 'Assets',
    links: [
      { href: '/networks', label: 'Networks', icon: Cable, testid: 'nav-networks' },
      { href: '/subnets', label: 'Subnets', icon: Network, testid: 'nav-subnets' },
      { href: '/hosts', label: 'Hosts', icon: Server, testid: 'nav-hosts' },
      { href: '/services', label: 'Services', icon: Boxes, testid: 'nav-services' },
    ],
  },
  {
    label: 'Settings',
    links: [
      { href: '/tags', label: 'Tags', icon: Tag, testid: 'nav-tags' },
      { href: '/users', label: 'Users', icon: Users, testid: 'nav-users', minRole: 'Admin' },
      { href: '/api-keys', label: 'API keys', icon: KeyRound, testid: 'nav-api-keys', minRole: 'Member' },
      {
        href: '/organization',
        label: 'Organization',
        icon: Building2,
        testid: 'nav-organization',
        minRole: 'Admin',
      },
      { href: '/account', label: 'Account', icon: UserRound, testid: 'nav-account' },
    ],
  },
];

const RANK: Record<PermissionLevel, number> = { Viewer: 0, Member: 1, Admin: 2, Owner: 3 };

export function allowed(link: NavLink, role: PermissionLevel): boolean {
  return !link.minRole || RANK[role] >= RANK[link.minRole];
}

/** Whether `pathname` is the link's page or one below it (/hosts/123 keeps Hosts highlighted). */
export function isActive(href: string, pathname: string): boolean {
  if (href === '/') return pathname === '/';
  return pathname === href || pathname.startsWith(`${href}/`);
}
