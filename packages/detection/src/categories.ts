import type { ServiceCategory, ServiceDefinition } from './types.ts';

export type CategoryColor =
  | 'Yellow'
  | 'Green'
  | 'Red'
  | 'Gray'
  | 'Blue'
  | 'Indigo'
  | 'Emerald'
  | 'Pink'
  | 'Orange'
  | 'Cyan'
  | 'Purple'
  | 'Teal'
  | 'Rose';

export interface CategoryInfo {
  readonly id: ServiceCategory;
  /** Display label (the id with words separated). */
  readonly name: string;
  readonly color: CategoryColor;
  /** Lucide icon name. */
  readonly icon: string;
  /** Scanopy and OpenPorts definitions are created by the system only. */
  readonly can_be_manually_added: boolean;
}

function category(id: ServiceCategory, name: string, color: CategoryColor, icon: string): CategoryInfo {
  return { id, name, color, icon, can_be_manually_added: id !== 'Scanopy' && id !== 'OpenPorts' };
}

/** The 34 categories of service-detection.md §7, in enum order. */
export const categories: readonly CategoryInfo[] = [
  category('NetworkCore', 'Network Core', 'Yellow', 'Network'),
  category('NetworkAccess', 'Network Access', 'Green', 'Router'),
  category('NetworkSecurity', 'Network Security', 'Red', 'BrickWall'),
  category('Storage', 'Storage', 'Green', 'HardDrive'),
  category('Backup', 'Backup', 'Gray', 'DatabaseBackup'),
  category('Media', 'Media', 'Blue', 'CirclePlay'),
  category('HomeAutomation', 'Home Automation', 'Blue', 'House'),
  category('Virtualization', 'Virtualization', 'Indigo', 'Boxes'),
  category('DNS', 'DNS', 'Emerald', 'Search'),
  category('VPN', 'VPN', 'Green', 'VenetianMask'),
  category('SNMP', 'SNMP', 'Pink', 'Activity'),
  category('Monitoring', 'Monitoring', 'Orange', 'Activity'),
  category('AdBlock', 'Ad Block', 'Emerald', 'ShieldCheck'),
  category('ReverseProxy', 'Reverse Proxy', 'Cyan', 'Split'),
  category('Workstation', 'Workstation', 'Green', 'Monitor'),
  category('Mobile', 'Mobile', 'Blue', 'Smartphone'),
  category('IoT', 'IoT', 'Yellow', 'Cpu'),
  category('Printer', 'Printer', 'Gray', 'Printer'),
  category('Database', 'Database', 'Gray', 'Database'),
  category('Development', 'Development', 'Red', 'Code'),
  category('Dashboard', 'Dashboard', 'Purple', 'LayoutDashboard'),
  category('MessageQueue', 'Message Queue', 'Green', 'MessageSquareCode'),
  category('IdentityAndAccess', 'Identity and Access', 'Yellow', 'KeyRound'),
  category('Office', 'Office', 'Blue', 'FileText'),
  category('ProjectManagement', 'Project Management', 'Indigo', 'SquareKanban'),
  category('Messaging', 'Messaging', 'Green', 'MessageCircle'),
  category('Conferencing', 'Conferencing', 'Teal', 'Video'),
  category('Telephony', 'Telephony', 'Orange', 'Phone'),
  category('Email', 'Email', 'Rose', 'Mail'),
  category('Publishing', 'Publishing', 'Purple', 'PenLine'),
  category('Unknown', 'Unknown', 'Gray', 'CircleQuestionMark'),
  category('Custom', 'Custom', 'Rose', 'Sparkle'),
  category('Scanopy', 'Scanopy', 'Purple', 'Zap'),
  category('OpenPorts', 'Open Ports', 'Cyan', 'EthernetPort'),
];

/** True when the definition can be added by hand (service-detection.md §1, `can_be_manually_added`). */
export function canBeManuallyAdded(def: ServiceDefinition): boolean {
  return def.category !== 'Scanopy' && def.category !== 'OpenPorts';
}
