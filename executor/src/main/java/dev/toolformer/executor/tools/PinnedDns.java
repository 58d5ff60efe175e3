package dev.toolformer.executor.tools;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The JVM's host name resolver, with pins: while the {@code http} tool sends a request, the host name it
 * checked resolves to exactly the addresses it checked, so the JDK {@code HttpClient}, which resolves the
 * name again when it connects, cannot be sent elsewhere by a DNS server that changes its answer in
 * between (DNS rebinding). The client still connects by name, so TLS checks the certificate against the
 * name as usual. Every other lookup goes to the JDK's built-in resolver unchanged.
 *
 * <p>The JDK has no per-client resolver, so this is installed JVM-wide, as a
 * {@code java.net.spi.InetAddressResolverProvider} listed in {@code META-INF/services}. The JDK uses the
 * first provider it finds; {@link #active()} tells whether that is this one.
 */
public final class PinnedDns extends InetAddressResolverProvider {
    private static final Map<String, Pinned> PINS = new ConcurrentHashMap<>();
    /** A name that no DNS answers (RFC 2606), pinned once to see whether lookups come here. */
    private static final String PROBE = "pinned-dns-probe.toolformer.invalid";

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                Pinned pinned = PINS.get(host.toLowerCase(Locale.ROOT));
                return pinned == null ? builtin.lookupByName(host, policy) : select(host, pinned.addresses(), policy);
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                return builtin.lookupByAddress(address);
            }
        };
    }

    @Override
    public String name() {
        return "toolformer-pinned-dns";
    }

    /** Whether the JVM resolves names through this provider (checked once, with a pinned probe name). */
    static boolean active() {
        return Probe.ACTIVE;
    }

    /**
     * Makes {@code host} resolve to {@code addresses} until the pin is closed. A host that is pinned already
     * keeps its earlier addresses (a concurrent request's, checked too): {@link Pin#addresses()} says which
     * are in force, and the caller must check those.
     */
    static Pin pin(String host, List<InetAddress> addresses) {
        String key = host.toLowerCase(Locale.ROOT);
        Pinned pinned = PINS.compute(key, (k, old) -> old == null ? new Pinned(List.copyOf(addresses), 1) : old.retain());
        return new Pin(key, pinned.addresses());
    }

    /** The addresses {@code host} is pinned to now; empty when it is not. */
    static List<InetAddress> pinned(String host) {
        Pinned pinned = PINS.get(host.toLowerCase(Locale.ROOT));
        return pinned == null ? List.of() : pinned.addresses();
    }

    private static Stream<InetAddress> select(String host, List<InetAddress> addresses, InetAddressResolver.LookupPolicy policy)
            throws UnknownHostException {
        int characteristics = policy.characteristics();
        boolean v4 = (characteristics & InetAddressResolver.LookupPolicy.IPV4) != 0;
        boolean v6 = (characteristics & InetAddressResolver.LookupPolicy.IPV6) != 0;
        List<InetAddress> selected = new ArrayList<>();
        for (InetAddress address : addresses) {
            if (address instanceof Inet4Address ? v4 : v6) {
                selected.add(address);
            }
        }
        if ((characteristics & InetAddressResolver.LookupPolicy.IPV4_FIRST) != 0) {
            selected.sort((a, b) -> Boolean.compare(a instanceof Inet6Address, b instanceof Inet6Address));
        } else if ((characteristics & InetAddressResolver.LookupPolicy.IPV6_FIRST) != 0) {
            selected.sort((a, b) -> Boolean.compare(a instanceof Inet4Address, b instanceof Inet4Address));
        }
        if (selected.isEmpty()) {
            throw new UnknownHostException(host + ": its pinned addresses do not match the lookup policy");
        }
        return selected.stream();
    }

    /** A pinned host: the addresses, and how many requests hold the pin. */
    private record Pinned(List<InetAddress> addresses, int holders) {
        Pinned retain() {
            return new Pinned(addresses, holders + 1);
        }

        Pinned release() {
            return holders == 1 ? null : new Pinned(addresses, holders - 1);
        }
    }

    /** One request's hold on a pinned host; closing it unpins the host when no other request holds it. */
    static final class Pin implements AutoCloseable {
        private final String key;
        private final List<InetAddress> addresses;
        private boolean closed;

        private Pin(String key, List<InetAddress> addresses) {
            this.key = key;
            this.addresses = addresses;
        }

        /** The addresses the host resolves to while pinned. */
        List<InetAddress> addresses() {
            return addresses;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                PINS.computeIfPresent(key, (k, pinned) -> pinned.release());
            }
        }
    }

    /** Holder: probes on first use only. */
    private static final class Probe {
        static final boolean ACTIVE = probe();

        private static boolean probe() {
            InetAddress loopback = InetAddress.getLoopbackAddress();
            try (Pin pin = pin(PROBE, List.of(loopback))) {
                InetAddress[] resolved = InetAddress.getAllByName(PROBE);
                return resolved.length == 1 && resolved[0].equals(loopback);
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }
}
