import { mount, unmount } from 'svelte';
import Activity from 'lucide-svelte/icons/activity';
import Boxes from 'lucide-svelte/icons/boxes';
import BrickWall from 'lucide-svelte/icons/brick-wall';
import CirclePlay from 'lucide-svelte/icons/circle-play';
import CircleQuestionMark from 'lucide-svelte/icons/circle-question-mark';
import Code from 'lucide-svelte/icons/code';
import Cpu from 'lucide-svelte/icons/cpu';
import Database from 'lucide-svelte/icons/database';
import DatabaseBackup from 'lucide-svelte/icons/database-backup';
import EthernetPort from 'lucide-svelte/icons/ethernet-port';
import FileText from 'lucide-svelte/icons/file-text';
import HardDrive from 'lucide-svelte/icons/hard-drive';
import House from 'lucide-svelte/icons/house';
import KeyRound from 'lucide-svelte/icons/key-round';
import LayoutDashboard from 'lucide-svelte/icons/layout-dashboard';
import Mail from 'lucide-svelte/icons/mail';
import MessageCircle from 'lucide-svelte/icons/message-circle';
import MessageSquareCode from 'lucide-svelte/icons/message-square-code';
import Monitor from 'lucide-svelte/icons/monitor';
import Network from 'lucide-svelte/icons/network';
import PenLine from 'lucide-svelte/icons/pen-line';
import Phone from 'lucide-svelte/icons/phone';
import Printer from 'lucide-svelte/icons/printer';
import Router from 'lucide-svelte/icons/router';
import Search from 'lucide-svelte/icons/search';
import ShieldCheck from 'lucide-svelte/icons/shield-check';
import Smartphone from 'lucide-svelte/icons/smartphone';
import Sparkle from 'lucide-svelte/icons/sparkle';
import Split from 'lucide-svelte/icons/split';
import SquareKanban from 'lucide-svelte/icons/square-kanban';
import VenetianMask from 'lucide-svelte/icons/venetian-mask';
import Video from 'lucide-svelte/icons/video';
import Zap from 'lucide-svelte/icons/zap';

/** The lucide icon of each service category (the same icons the server's metadata names). */
type Icon = typeof CircleQuestionMark;

export const CATEGORY_ICONS: Record<string, Icon> = {
  NetworkCore: Network,
  NetworkAccess: Router,
  NetworkSecurity: BrickWall,
  Storage: HardDrive,
  Backup: DatabaseBackup,
  Media: CirclePlay,
  HomeAutomation: House,
  Virtualization: Boxes,
  DNS: Search,
  VPN: VenetianMask,
  SNMP: Activity,
  Monitoring: Activity,
  AdBlock: ShieldCheck,
  ReverseProxy: Split,
  Workstation: Monitor,
  Mobile: Smartphone,
  IoT: Cpu,
  Printer: Printer,
  Database: Database,
  Development: Code,
  Dashboard: LayoutDashboard,
  MessageQueue: MessageSquareCode,
  IdentityAndAccess: KeyRound,
  Office: FileText,
  ProjectManagement: SquareKanban,
  Messaging: MessageCircle,
  Conferencing: Video,
  Telephony: Phone,
  Email: Mail,
  Publishing: PenLine,
  Unknown: CircleQuestionMark,
  Custom: Sparkle,
  Scanopy: Zap,
  OpenPorts: EthernetPort,
};

export const categoryIcon = (category: string): Icon => CATEGORY_ICONS[category] ?? CircleQuestionMark;

const markup = new Map<string, string>();

/**
 * The icon of a category as SVG markup, rendered once per category by lucide itself. Cards insert the markup instead
 * of mounting an icon component per service row: with a thousand cards the components cost seconds.
 */
export function categoryIconMarkup(category: string): string {
  let svg = markup.get(category);
  if (svg === undefined) {
    const host = document.createElement('div');
    const icon = mount(categoryIcon(category), {
      target: host,
      props: { class: 'size-3.5', 'aria-hidden': 'true', focusable: 'false' },
    });
    svg = host.innerHTML;
    void unmount(icon);
    markup.set(category, svg);
  }
  return svg;
}
