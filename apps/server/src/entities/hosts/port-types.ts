/** Well-known port type ids of the reference model, keyed by "number/protocol"; anything else is Custom. */
const known: Record<string, string> = {
  '22/Tcp': 'Ssh',
  '23/Tcp': 'Telnet',
  '53/Udp': 'DnsUdp',
  '53/Tcp': 'DnsTcp',
  '445/Tcp': 'Samba',
  '2049/Tcp': 'Nfs',
  '21/Tcp': 'Ftp',
  '631/Tcp': 'Ipp',
  '646/Tcp': 'LdpTcp',
  '646/Udp': 'LdpUdp',
  '389/Tcp': 'Ldap',
  '636/Tcp': 'Ldaps',
  '88/Tcp': 'Kerberos',
  '161/Udp': 'Snmp',
  '3389/Tcp': 'Rdp',
  '123/Udp': 'Ntp',
  '5060/Udp': 'Sip',
  '5061/Tcp': 'SipTls',
  '554/Tcp': 'Rtsp',
  '67/Udp': 'Dhcp',
  '80/Tcp': 'Http',
  '3306/Tcp': 'MySql',
  '5432/Tcp': 'PostgreSQL',
  '27017/Tcp': 'MongoDB',
  '6379/Tcp': 'Redis',
  '1433/Tcp': 'MsSql',
  '2375/Tcp': 'Docker',
  '2376/Tcp': 'DockerTls',
  '6443/Tcp': 'Kubernetes',
  '15672/Tcp': 'RabbitMqMgmt',
  '9042/Tcp': 'Cassandra',
  '9200/Tcp': 'Elasticsearch',
  '8086/Tcp': 'InfluxDb',
  '5984/Tcp': 'CouchDb',
  '9092/Tcp': 'Kafka',
  '3000/Tcp': 'Http3000',
  '5000/Tcp': 'Http5000',
  '8080/Tcp': 'Http8080',
  '8081/Tcp': 'Http8081',
  '8082/Tcp': 'Http8082',
  '8888/Tcp': 'Http8888',
  '9000/Tcp': 'Http9000',
  '443/Tcp': 'Https',
  '8443/Tcp': 'Https8443',
  '9443/Tcp': 'Https9443',
  '10443/Tcp': 'Https10443',
  '1883/Tcp': 'Mqtt',
  '8883/Tcp': 'MqttTls',
  '5672/Tcp': 'AMQP',
  '5671/Tcp': 'AMQPTls',
  '51820/Udp': 'Wireguard',
  '1194/Udp': 'OpenVPN',
  '47808/Udp': 'BACnet',
  '9100/Tcp': 'JetDirect',
};

export function portTypeOf(number: number, protocol: 'Tcp' | 'Udp'): string {
  return known[`${number}/${protocol}`] ?? 'Custom';
}

/** Every well-known port type with its number and protocol, in declaration order (for GET /api/metadata). */
export function wellKnownPorts(): { id: string; number: number; protocol: 'Tcp' | 'Udp' }[] {
  return Object.entries(known).map(([key, id]) => {
    const [number, protocol] = key.split('/');
    return { id, number: Number(number), protocol: protocol as 'Tcp' | 'Udp' };
  });
}
