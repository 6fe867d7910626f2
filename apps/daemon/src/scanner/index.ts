/**
 * The daemon's network scanner: scope guard, pacing, TCP connect probes, port scans and host discovery.
 * See docs/scanning.md for the behaviour and apps/daemon/README.md ("Scanner") for the API.
 */
export { AbortError, ManualClock, systemClock, type Clock } from './clock.ts';
export {
  AimdWindow,
  fdSoftLimit,
  maxStartsInWindow,
  Pacer,
  RateGate,
  Semaphore,
  socketBudget,
  type PacerOptions,
  type WindowOptions,
} from './pacer.ts';
export { RttEstimator, type RttLimits } from './rtt.ts';
export { nativeConnectStatus } from './native-connect.ts';
export {
  connectAttempt,
  probeTcpPort,
  type AttemptInfo,
  type AttemptOutcome,
  type ConnectAttempt,
  type PortState,
  type ProbeOptions,
  type ProbeResult,
} from './tcp.ts';
export { FULL_RANGE, parsePortSpec, planSize, portOrder, PortSpecError, type PortPlan } from './ports.ts';
export {
  DEFAULT_PRESET,
  estimateScan,
  HOST_DISCOVERY_DEFAULTS,
  hostDiscoverySeconds,
  isPresetName,
  PRESET_NAMES,
  PRESETS,
  resolveScanSettings,
  type PresetName,
  type ResolveInput,
  type ScanEstimate,
  type ScanSettings,
} from './presets.ts';
export { MAX_SCOPE_ADDRESSES, parseAllowList, ScanScope, ScopeError, type ScopeInput } from './scope.ts';
export {
  PortScan,
  RETRY_TRIAL,
  scanPorts,
  type ActiveHost,
  type HostScanResult,
  type HostScanStatus,
  type PortScanEvent,
  type PortScanOptions,
  type PortScanProgress,
} from './port-scan.ts';
export {
  COMMON_TCP_PORTS,
  discoverHosts,
  HostDiscovery,
  partitionTargets,
  procNeighbours,
  udpNudger,
  type DiscoveredHost,
  type HostDiscoveryOptions,
  type NeighbourEntry,
  type NeighbourSource,
  type Nudger,
} from './hosts.ts';
