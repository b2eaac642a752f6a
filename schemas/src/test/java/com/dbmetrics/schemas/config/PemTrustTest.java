package com.dbmetrics.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTrustTest {

    @TempDir
    Path dir;

    @Test
    void shouldBuildAContextFromAPemCa() throws Exception {
        SSLContext context = PemTrust.sslContext("X_CA_FILE",
                Path.of(getClass().getResource("/tls/test-ca.pem").toURI()));
        assertThat(context.getProtocol()).isEqualTo("TLS");
    }

    @Test
    void shouldNameTheVariableWhenTheFileIsNoCertificate() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        assertThatThrownBy(() -> PemTrust.sslContext("X_CA_FILE", junk))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("X_CA_FILE must name a PEM file");
        assertThatThrownBy(() -> PemTrust.sslContext("X_CA_FILE", dir.resolve("missing.pem")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("X_CA_FILE must name a readable PEM file");
    }
}
