package dev.toolformer.executor.tools;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where the {@code http} tool may connect: public addresses, plus what the allow-list names. An entry is
 * a host name ({@code internal.example}, {@code internal.example:8443}: that name as the URL writes it,
 * trusted with whatever it resolves to), an address ({@code 10.0.0.5}, {@code 10.0.0.5:8080},
 * {@code ::1}, {@code [::1]:9000}) or a CIDR block ({@code 10.0.0.0/8}, {@code fd00::/8}): any name
 * whose addresses all fall there.
 */
final class AddressPolicy {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f]*:[0-9a-f:.]*");
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\\.?");

    private final List<NameEntry> names;
    private final List<AddressEntry> addresses;

    private AddressPolicy(List<NameEntry> names, List<AddressEntry> addresses) {
        this.names = List.copyOf(names);
        this.addresses = List.copyOf(addresses);
    }

    /** The allow-list of {@code TOOLFORMER_HTTP_ALLOW_HOSTS} and {@code toolformer.http.allow-hosts} together. */
    static AddressPolicy fromEnvironment() {
        return parse(System.getenv(HttpTool.ALLOW_HOSTS_ENV), System.getProperty(HttpTool.ALLOW_HOSTS_PROPERTY));
    }

    /**
     * Comma-separated entries from each source (null sources are skipped).
     *
     * @throws IllegalArgumentException naming the entry when one is neither a name, an address nor a CIDR block
     */
    static AddressPolicy parse(String... sources) {
        List<NameEntry> names = new ArrayList<>();
        List<AddressEntry> addresses = new ArrayList<>();
        for (String source : sources) {
            if (source == null) {
                continue;
            }
            for (String raw : source.split(",")) {
                String entry = raw.trim().toLowerCase(Locale.ROOT);
                if (!entry.isEmpty()) {
                    add(entry, names, addresses);
                }
            }
        }
        return new AddressPolicy(names, addresses);
    }

    private static void add(String entry, List<NameEntry> names, List<AddressEntry> addresses) {
        String host = entry;
        int port = -1;
        int slash = entry.indexOf('/');
        if (slash < 0 && entry.startsWith("[")) { // [v6] or [v6]:port
            int close = entry.indexOf(']');
            if (close < 0) {
                throw invalid(entry);
            }
            host = entry.substring(1, close);
            String rest = entry.substring(close + 1);
            if (!rest.isEmpty()) {
                port = port(rest.startsWith(":") ? rest.substring(1) : "", entry);
            }
        } else if (slash < 0 && entry.indexOf(':') >= 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
            host = entry.substring(0, entry.indexOf(':')); // name:port or a.b.c.d:port
            port = port(entry.substring(entry.indexOf(':') + 1), entry);
        }
        String address = slash < 0 ? host : host.substring(0, slash);
        if (IPV4.matcher(address).matches() || (IPV6.matcher(address).matches() && address.indexOf(':') >= 0)) {
            byte[] network = literal(address, entry);
            int bits = network.length * 8;
            int prefix = slash < 0 ? bits : prefix(host.substring(slash + 1), bits, entry);
            addresses.add(new AddressEntry(network, prefix, port));
        } else if (slash < 0 && NAME.matcher(host).matches()) {
            names.add(new NameEntry(host, port));
        } else {
            throw invalid(entry);
        }
    }

    private static int port(String text, String entry) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65_535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(entry);
    }

    private static int prefix(String text, int bits, String entry) {
        try {
            int prefix = Integer.parseInt(text);
            if (prefix >= 0 && prefix <= bits) {
                return prefix;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(entry);
    }

    /** The bytes of an IP literal (IPv4-mapped IPv6 literals become IPv4), never a DNS lookup. */
    private static byte[] literal(String address, String entry) {
        if (address.indexOf(':') < 0) {
            for (String octet : address.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw invalid(entry); // not a literal, so getByName would ask DNS
                }
            }
        }
        try {
            return InetAddress.getByName(address).getAddress(); // a literal: parsed, not resolved
        } catch (UnknownHostException e) {
            throw invalid(entry);
        }
    }

    private static IllegalArgumentException invalid(String entry) {
        return new IllegalArgumentException(HttpTool.ALLOW_HOSTS_ENV + " entry '" + entry + "' is not a host, host:port, "
                + "address, address:port or CIDR block (10.0.0.0/8, fd00::/8)");
    }

    /** Whether the URL host itself ({@code host}, lower case, IPv6 without brackets) is listed by name. */
    boolean allowsName(String host, int port) {
        for (NameEntry entry : names) {
            if (entry.name.equals(host) && (entry.port == -1 || entry.port == port)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the tool may connect to {@code address} on {@code port}: public, or inside an allow-listed block. */
    boolean allowsAddress(InetAddress address, int port) {
        if (!isNonPublic(address)) {
            return true;
        }
        byte[] bytes = address.getAddress();
        for (AddressEntry entry : addresses) {
            if (entry.contains(bytes) && (entry.port == -1 || entry.port == port)) {
                return true;
            }
        }
        return false;
    }

    /** The first address the tool may not connect to, or null when it may connect to all of them. */
    InetAddress firstRefused(List<InetAddress> candidates, int port) {
        for (InetAddress address : candidates) {
            if (!allowsAddress(address, port)) {
                return address;
            }
        }
        return null;
    }

    /**
     * Not on the public internet: loopback, link-local (169.254/16, fe80::/10), private and site-local (10/8,
     * 172.16/12, 192.168/16, fec0::/10), carrier-grade NAT (100.64/10), unique-local (fc00::/7), multicast,
     * unspecified (0.0.0.0, ::) and the rest of 0/8, reserved (240/4, broadcast), benchmarking (198.18/15),
     * documentation and protocol blocks; IPv6 addresses that carry an IPv4 one (mapped ::ffff:0:0/96,
     * compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that address.
     */
    static boolean isNonPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isMulticastAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        return address instanceof Inet4Address ? isNonPublicV4(b) : isNonPublicV6(b);
    }

    private static boolean isNonPublicV4(byte[] b) {
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        int third = b[2] & 0xff;
        return first == 0 || first == 10 || first == 127 || first >= 224 // this network, private, loopback, multicast, reserved
                || first == 100 && second >= 64 && second < 128 // carrier-grade NAT, often internal in clouds
                || first == 169 && second == 254 // link-local, cloud metadata
                || first == 172 && second >= 16 && second < 32
                || first == 192 && second == 168
                || first == 192 && second == 0 && (third == 0 || third == 2) // protocol assignments, documentation
                || first == 198 && (second == 18 || second == 19) // benchmarking
                || first == 198 && second == 51 && third == 100
                || first == 203 && second == 0 && third == 113;
    }

    private static boolean isNonPublicV6(byte[] b) {
        if ((b[0] & 0xfe) == 0xfc) {
            return true; // unique local fc00::/7
        }
        if (zero(b, 0, 10) && ((b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff || zero(b, 10, 12))) {
            return true; // IPv4-mapped or -compatible: no public service is reached this way (and Java maps the former to IPv4)
        }
        if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
            // NAT64: 64:ff9b::/96 translates to the IPv4 address in its last 4 bytes; 64:ff9b:1::/48 is local use
            return !zero(b, 4, 12) || isNonPublicV4(Arrays.copyOfRange(b, 12, 16));
        }
        if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
            return isNonPublicV4(Arrays.copyOfRange(b, 2, 6)); // 6to4 2002:a.b.c.d::/48
        }
        boolean documentation = (b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8;
        boolean discard = (b[0] & 0xff) == 0x01 && zero(b, 1, 8);
        return documentation || discard;
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** A host name, on one port or (-1) every port. */
    private record NameEntry(String name, int port) {
    }

    /** A CIDR block (a single address is a full-length prefix), on one port or (-1) every port. */
    private record AddressEntry(byte[] network, int prefix, int port) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
