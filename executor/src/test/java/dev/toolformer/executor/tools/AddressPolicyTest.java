package dev.toolformer.executor.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import org.junit.jupiter.api.Test;

class AddressPolicyTest {
    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // literals only: parsed, never looked up
    }

    @Test
    void shouldClassifyPublicAddresses() throws Exception {
        for (String address : new String[] {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1",
                "198.20.0.1", "223.255.255.255", "2001:4860:4860::8888", "64:ff9b::808:808", "2002:808:808::1"}) {
            assertThat(AddressPolicy.isNonPublic(ip(address))).as(address).isFalse();
        }
    }

    @Test
    void shouldClassifyLoopbackPrivateLinkLocalAndReservedAddresses() throws Exception {
        for (String address : new String[] {"127.0.0.1", "127.0.0.2", "10.0.0.1", "172.16.0.1", "172.31.255.255",
                "192.168.0.1", "169.254.169.254", "169.254.1.1", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3",
                "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "192.0.2.1", "198.18.0.1",
                "198.51.100.1", "203.0.113.1",
                "::1", "::", "fe80::1", "fec0::1", "fc00::1", "fdff::1", "ff02::1",
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "::8.8.8.8",
                "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::808:808", "2002:a00:1::1", "2002:7f00:1::",
                "2001:db8::1", "100::1"}) {
            assertThat(AddressPolicy.isNonPublic(ip(address))).as(address).isTrue();
        }
    }

    @Test
    void shouldAllowNamesOnTheirPortOrEveryPort() {
        AddressPolicy policy = AddressPolicy.parse(" Internal.Example , api.local:8443", null);

        assertThat(policy.allowsName("internal.example", 80)).isTrue();
        assertThat(policy.allowsName("internal.example", 9999)).isTrue();
        assertThat(policy.allowsName("api.local", 8443)).isTrue();
        assertThat(policy.allowsName("api.local", 443)).isFalse();
        assertThat(policy.allowsName("other.example", 80)).isFalse();
        assertThat(policy.allowsName("sub.internal.example", 80)).isFalse();
    }

    @Test
    void shouldAllowPrivateAddressesOnlyInsideListedBlocksAndPorts() throws Exception {
        AddressPolicy policy = AddressPolicy.parse("10.0.0.0/8,127.0.0.1:8080", "fd00::/8, [::1]:9000, 192.168.1.7");

        assertThat(policy.allowsAddress(ip("10.255.0.1"), 80)).isTrue();
        assertThat(policy.allowsAddress(ip("11.0.0.1"), 80)).isTrue(); // public anyway
        assertThat(policy.allowsAddress(ip("172.16.0.1"), 80)).isFalse();
        assertThat(policy.allowsAddress(ip("127.0.0.1"), 8080)).isTrue();
        assertThat(policy.allowsAddress(ip("127.0.0.1"), 8081)).isFalse();
        assertThat(policy.allowsAddress(ip("127.0.0.2"), 8080)).isFalse();
        assertThat(policy.allowsAddress(ip("fd12::1"), 443)).isTrue();
        assertThat(policy.allowsAddress(ip("fc00::1"), 443)).isFalse();
        assertThat(policy.allowsAddress(ip("::1"), 9000)).isTrue();
        assertThat(policy.allowsAddress(ip("::1"), 9001)).isFalse();
        assertThat(policy.allowsAddress(ip("192.168.1.7"), 1)).isTrue();
        assertThat(policy.allowsAddress(ip("192.168.1.8"), 1)).isFalse();
        assertThat(policy.allowsAddress(ip("::ffff:10.1.2.3"), 80)).isTrue(); // Java reads it as 10.1.2.3
        assertThat(policy.allowsName("10.0.0.1", 80)).isFalse(); // addresses are entries of their own kind
    }

    @Test
    void shouldNameTheFirstRefusedAddress() throws Exception {
        AddressPolicy policy = AddressPolicy.parse("127.0.0.1");

        assertThat(policy.firstRefused(List.of(ip("127.0.0.1"), ip("8.8.8.8")), 80)).isNull();
        assertThat(policy.firstRefused(List.of(ip("8.8.8.8"), ip("10.0.0.1"), ip("::1")), 80)).isEqualTo(ip("10.0.0.1"));
        assertThat(AddressPolicy.parse().firstRefused(List.of(ip("127.0.0.1")), 80)).isEqualTo(ip("127.0.0.1"));
    }

    @Test
    void shouldRefuseUnreadableEntriesNamingThem() {
        for (String entry : new String[] {"10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "host:0", "host:70000", "host:http",
                "[::1", "[::1]x", "a b", "999.1.1.1", "exa mple.com", "internal.example/8", "http://example.com"}) {
            assertThatThrownBy(() -> AddressPolicy.parse(entry)).as(entry)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("TOOLFORMER_HTTP_ALLOW_HOSTS entry '" + entry + "' is not a host, host:port, address, "
                            + "address:port or CIDR block (10.0.0.0/8, fd00::/8)");
        }
    }
}
