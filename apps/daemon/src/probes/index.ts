/**
 * Protocol probes of the network scan (daemon.md §4.2–4.6): UDP protocol probes, HTTP(S) endpoint
 * probes, host names, MAC vendors, gateways and the post-connect TCP peek. Each probe is bounded by a
 * timeout and an AbortSignal and resolves (never rejects) with a result or null.
 */

export {
  BACNET_WHO_IS,
  DNS_PROBE_NAME,
  PROBED_UDP_PORTS,
  SNMP_PROBE_COMMUNITY,
  SYS_DESCR_OID,
  UDP_PROBE_CONCURRENCY,
  UDP_PROBE_TIMEOUT_MS,
  probeBacnet,
  probeDhcp,
  probeDns,
  probeNtp,
  probeSnmp,
  scanUdpPorts,
  type BacnetProbeResult,
  type DhcpProbeOptions,
  type DhcpProbeResult,
  type DnsProbeResult,
  type NtpProbeResult,
  type SnmpProbeResult,
  type UdpFinding,
  type UdpProbeOptions,
  type UdpScanOptions,
} from './udp.ts';
export {
  HTTP_BODY_MAX_BYTES,
  HTTP_MAX_REDIRECTS,
  HTTP_PER_PORT_CONCURRENCY,
  HTTP_TIMEOUT_MS,
  RAW_SOCKET_PORTS,
  httpConcurrency,
  isRawSocketPort,
  probeHttpEndpoint,
  randomProbePath,
  scanCatchAll,
  scanHttpEndpoints,
  selectEndpoints,
  type HttpEndpoint,
  type HttpProbeOptions,
  type HttpProbeResult,
  type HttpScanOptions,
  type HttpScheme,
} from './http.ts';
export {
  NAME_TIMEOUT_MS,
  lookupHostName,
  mdnsName,
  netbiosStatus,
  reverseDns,
  type HostName,
  type HostNameOptions,
  type NameSource,
  type NetbiosStatus,
  type ReverseDnsOptions,
} from './names.ts';
export { OuiTable, bundledOuiTable, macVendor, macDigits, macVendorMatches, normalizeVendor } from './oui.ts';
export { broadcastAddressOf, gatewaysOf, isGateway, readGateways } from './gateways.ts';
export {
  ALWAYS_TLS_PORTS,
  BANNER_MAX_BYTES,
  PEEK_WAIT_MS,
  connectAndPeek,
  peekConnected,
  type ConnectPeekOptions,
  type ConnectPeekResult,
  type PeekOptions,
  type PeekResult,
} from './tcp-banner.ts';
export {
  decodeSnmpMessage,
  encodeSnmpGet,
  encodeSnmpMessage,
  type SnmpMessage,
  type SnmpValue,
  type VarBind,
} from './ber.ts';
export { runPool, type PoolOptions } from './exchange.ts';
