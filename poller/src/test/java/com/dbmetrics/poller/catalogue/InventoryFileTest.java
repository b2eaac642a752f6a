package com.dbmetrics.poller.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InventoryFileTest {

    private static final Duration TICK = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    @Test
    void shouldReadDatabasesAndTheirIntervalsAndRefuseBadRows() throws Exception {
        Path file = dir.resolve("inventory.json");
        Files.writeString(file, """
                {"databases": [
                  {"database_id": "pg-1", "database_name": "orders", "engine": "postgresql", "domain": "acme", "project": "shop"},
                  {"database_id": "my-1", "engine": "mysql", "domain": "acme", "project": "shop", "dbmetrics_interval": "1m"},
                  {"database_id": "rd-1", "engine": "redis", "domain": "acme", "project": "shop", "dbmetrics_interval": "20s"},
                  {"database_id": "bad/id", "engine": "redis", "domain": "acme", "project": "shop"}
                ]}""");

        Discovery.Result result = new InventoryFile(Json.newMapper(), file, TICK).discover(Instant.EPOCH);

        assertThat(result.inventory().databases()).extracting(DatabaseRef::databaseId)
                .containsExactly("pg-1", "my-1", "rd-1");
        assertThat(result.inventory().intervalOf("my-1", TICK)).isEqualTo(Duration.ofMinutes(1));
        assertThat(result.inventory().intervalOf("rd-1", TICK)).isEqualTo(TICK);
        assertThat(result.refusedIntervals()).containsExactly("rd-1: 20s");
        assertThat(result.rejected()).hasSize(1);
        assertThat(new InventoryFile(Json.newMapper(), file, TICK).queriesPrometheus()).isFalse();
    }

    @Test
    void shouldFailDiscoveryWhenTheFileIsMissingOrMalformedSoNothingIsRemoved() throws Exception {
        Path missing = dir.resolve("nope.json");
        Path wrong = Files.writeString(dir.resolve("wrong.json"), "{\"dbs\": []}");

        assertThatThrownBy(() -> new InventoryFile(Json.newMapper(), missing, TICK).discover(Instant.EPOCH))
                .isInstanceOfSatisfying(DiscoveryException.class, e -> assertThat(e.kind()).isEqualTo("file"));
        assertThatThrownBy(() -> new InventoryFile(Json.newMapper(), wrong, TICK).discover(Instant.EPOCH))
                .isInstanceOf(DiscoveryException.class).hasMessageContaining("databases");
    }
}
