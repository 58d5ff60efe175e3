package dev.toolformer.executor.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

class PinnedDnsTest {
    @Test
    void shouldBeTheJvmsResolver() {
        assertThat(PinnedDns.active()).isTrue();
    }

    @Test
    void shouldResolveAPinnedNameToItsPinnedAddressesOnly() throws Exception {
        // .invalid names never resolve in DNS (RFC 2606): only the pin can answer.
        InetAddress first = InetAddress.getByName("127.0.0.7");
        InetAddress second = InetAddress.getByName("::1");
        try (PinnedDns.Pin pin = PinnedDns.pin("Pinned-Name.Toolformer.Invalid", List.of(first, second))) {
            assertThat(pin.addresses()).containsExactly(first, second);
            assertThat(InetAddress.getAllByName("pinned-name.toolformer.invalid")).containsExactlyInAnyOrder(first, second);
        }
        assertThat(PinnedDns.pinned("pinned-name.toolformer.invalid")).isEmpty();
    }

    @Test
    void shouldKeepTheFirstAddressesUntilTheLastHolderLetsGo() throws Exception {
        InetAddress first = InetAddress.getByName("127.0.0.8");
        InetAddress other = InetAddress.getByName("127.0.0.9");
        String host = "shared.toolformer.invalid";

        PinnedDns.Pin a = PinnedDns.pin(host, List.of(first));
        PinnedDns.Pin b = PinnedDns.pin(host, List.of(other));
        assertThat(b.addresses()).containsExactly(first); // the caller checks these, not its own
        a.close();
        a.close(); // a second close releases nothing more
        assertThat(PinnedDns.pinned(host)).containsExactly(first);
        b.close();
        assertThat(PinnedDns.pinned(host)).isEmpty();
        try (PinnedDns.Pin c = PinnedDns.pin(host, List.of(other))) {
            assertThat(c.addresses()).containsExactly(other);
        }
    }
}
