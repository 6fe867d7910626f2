/** Match confidence, weakest first (the order is the ranking of service-detection.md §3.6). */
export const confidenceLevels = ['NotApplicable', 'Low', 'Medium', 'High', 'Certain'] as const;
export type Confidence = (typeof confidenceLevels)[number];

export type Protocol = 'tcp' | 'udp';

export const subnetTypes = [
  'Internet',
  'Remote',
  'Gateway',
  'VpnTunnel',
  'Dmz',
  'Lan',
  'WiFi',
  'IoT',
  'Guest',
  'DockerBridge',
  'MacVlan',
  'IpVlan',
  'Management',
  'Storage',
  'Unknown',
  'None',
] as const;
export type SubnetType = (typeof subnetTypes)[number];

/** HTTP status range, half-open `[lo, hi)`; `null` in the catalog means the default `[200, 400)`. */
export type StatusRange = readonly [number, number];

/** What a `{custom}` rule node does; the three upstream closures (service-detection.md §5). */
export type CustomRule =
  | 'all_previously_matched_services_are_gateway_services'
  | 'container_id_present_and_not_already_matched'
  | 'unbound_ports_nonempty_bind_all';

export interface PortRule {
  readonly port: number;
  readonly proto: Protocol;
  /** Named port variant (`Ssh`, `Http8080`, …) or null for a custom port. */
  readonly named: string | null;
  /** Precomputed: Low for named ports and shared custom ports, Medium for a custom port no other definition uses. */
  readonly conf: Confidence;
}

export interface EndpointRule {
  readonly http: {
    readonly port: number;
    readonly named: string | null;
    readonly path: string;
    readonly body_contains: string;
    readonly status: StatusRange | null;
  };
}

export interface HeaderRule {
  readonly header: {
    readonly port: number | null;
    readonly named: string | null;
    readonly name: string;
    readonly value_contains: string;
    readonly status: StatusRange | null;
  };
}

/** The faithful rule tree of service-detection.md §10. */
export type Rule =
  | { readonly any: readonly Rule[] }
  | { readonly all: readonly Rule[] }
  | { readonly not: Rule }
  | PortRule
  | EndpointRule
  | HeaderRule
  | { readonly mac_vendor: string; readonly vendor_const: string }
  | { readonly is_gateway: true }
  | { readonly subnet_type: SubnetType }
  | { readonly docker_container: true }
  | { readonly custom: CustomRule; readonly conf: Confidence }
  | { readonly none: true };

/** Flattened HTTP pattern of a definition (loses any/all/not structure; evaluate `rule` instead). */
export interface HttpPatternSummary {
  readonly port: number | null;
  readonly path: string;
  readonly match: string;
  readonly where: 'body' | 'header';
  readonly header?: string;
  readonly status: StatusRange | null;
  readonly negate: boolean;
}

export const serviceCategoryIds = [
  'NetworkCore',
  'NetworkAccess',
  'NetworkSecurity',
  'Storage',
  'Backup',
  'Media',
  'HomeAutomation',
  'Virtualization',
  'DNS',
  'VPN',
  'SNMP',
  'Monitoring',
  'AdBlock',
  'ReverseProxy',
  'Workstation',
  'Mobile',
  'IoT',
  'Printer',
  'Database',
  'Development',
  'Dashboard',
  'MessageQueue',
  'IdentityAndAccess',
  'Office',
  'ProjectManagement',
  'Messaging',
  'Conferencing',
  'Telephony',
  'Email',
  'Publishing',
  'Unknown',
  'Custom',
  'Scanopy',
  'OpenPorts',
] as const;
export type ServiceCategory = (typeof serviceCategoryIds)[number];

export interface ServiceDefinition {
  /** File stem of the upstream definition, e.g. `home_assistant`. */
  readonly id: string;
  /** Definition name; also the stable id the API uses for `service_definition`. */
  readonly name: string;
  readonly category: ServiceCategory;
  readonly generic: boolean;
  /** Ports of the Port leaves (flattened). */
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
  readonly http: readonly HttpPatternSummary[];
  readonly mac_vendors: readonly string[];
  /** Always empty: upstream has no image-name matching (service-detection.md §2). */
  readonly docker_images: readonly string[];
  readonly combine: 'single' | 'any' | 'all' | 'none' | 'custom';
  readonly ports_only: boolean;
  readonly is_gateway_service: boolean;
  readonly requires_not_gateway: boolean;
  readonly subnet_type: readonly { readonly type: SubnetType; readonly negate: boolean }[];
  readonly rule: Rule;
  readonly logo_url: string;
  readonly logo_needs_white_background: boolean;
}
