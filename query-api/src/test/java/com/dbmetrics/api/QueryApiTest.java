package com.dbmetrics.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Where a starting instance reaches its own API port for its warm-up. */
class QueryApiTest {

    @Test
    void shouldReachItsOwnPortOnLoopbackWhenBoundToEveryAddressAndOnTheBoundAddressOtherwise() {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
        assertThat(QueryApi.ownAddress("0.0.0.0", 8080)).isEqualTo(loopback);
        assertThat(QueryApi.ownAddress("::", 8080)).isEqualTo(loopback);
        assertThat(QueryApi.ownAddress("127.0.0.1", 8080)).isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
        assertThat(QueryApi.ownAddress("::1", 8080).getAddress().isLoopbackAddress()).isTrue();
    }
}
