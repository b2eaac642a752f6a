package com.dbmetrics.poller.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EngineCatalogueTest {

    @Test
    void shouldMapAllFiveMetricsOfEveryEngineInBothResourceModes() {
        for (ResourceMode mode : ResourceMode.values()) {
            EngineCatalogue catalogue = EngineCatalogue.builtIn(Json.newMapper(), mode);
            assertThat(catalogue.engines()).containsExactly("mongodb", "mysql", "postgresql", "redis");
            for (String engine : catalogue.engines()) {
                Map<Metric, String> queries = catalogue.queries(engine).orElseThrow();
                assertThat(queries).as("%s in %s mode", engine, mode).containsOnlyKeys(Metric.values());
                assertThat(queries.values()).allSatisfy(q -> assertThat(q).contains("by (database_id)")
                        .doesNotContain(EngineCatalogue.ENGINE_PLACEHOLDER));
            }
        }
    }

    @Test
    void shouldTakeCpuAndMemoryFromTheChosenModeOnlyWhereTheExporterHasNone() {
        EngineCatalogue process = EngineCatalogue.builtIn(Json.newMapper(), ResourceMode.PROCESS);
        EngineCatalogue container = EngineCatalogue.builtIn(Json.newMapper(), ResourceMode.CONTAINER);

        assertThat(process.queries("postgresql").orElseThrow().get(Metric.CPU_USAGE))
                .contains("namedprocess_namegroup_cpu_seconds_total{engine=\"postgresql\"}");
        assertThat(container.queries("mysql").orElseThrow().get(Metric.MEMORY_USAGE))
                .contains("container_memory_working_set_bytes").contains("label_dbmetrics_engine=\"mysql\"");
        assertThat(container.queries("redis").orElseThrow().get(Metric.CPU_USAGE)).contains("redis_cpu_user");
        assertThat(container.queries("mongodb").orElseThrow().get(Metric.MEMORY_USAGE))
                .contains("mongodb_ss_mem_resident");
    }
}
