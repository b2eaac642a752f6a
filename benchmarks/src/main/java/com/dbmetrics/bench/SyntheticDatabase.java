package com.dbmetrics.bench;

/**
 * One simulated database: its exporter's text output at a given time. Rates and sizes derive from the id's hash, so a
 * database looks the same across restarts; counters grow linearly from the simulator's start, gauges wobble.
 */
record SyntheticDatabase(String id, String engine, String domain, String project, long startMillis) {

    String render(long nowMillis) {
        double seconds = (nowMillis - startMillis) / 1000.0;
        int h = Math.abs(id.hashCode());
        double ops = 5 + h % 500;                      // operations per second
        double cpu = 0.01 + (h % 90) / 100.0;          // cores
        double memory = (64 + h % 960) * 1048576.0;     // bytes
        double storage = (1 + h % 500) * 10485760.0;    // bytes
        double wobble = Math.sin(seconds / 30.0 + h);
        int connections = 5 + h % 50 + (int) Math.round(3 * wobble);
        StringBuilder out = new StringBuilder(1024);
        switch (engine) {
            case "postgresql" -> {
                gauge(out, "pg_stat_database_xact_commit{datname=\"app\"}", ops * 0.9 * seconds);
                gauge(out, "pg_stat_database_xact_rollback{datname=\"app\"}", ops * 0.1 * seconds);
                gauge(out, "pg_stat_database_numbackends{datname=\"app\"}", connections);
                gauge(out, "pg_database_size_bytes{datname=\"app\"}", storage + 4096 * seconds);
                process(out, cpu, memory, seconds);
            }
            case "mysql" -> {
                gauge(out, "mysql_global_status_queries", ops * seconds);
                gauge(out, "mysql_global_status_threads_connected", connections);
                gauge(out, "mysql_info_schema_table_size{component=\"data_length\",schema=\"app\",table=\"orders\"}",
                        storage * 0.8);
                gauge(out, "mysql_info_schema_table_size{component=\"index_length\",schema=\"app\",table=\"orders\"}",
                        storage * 0.2);
                process(out, cpu, memory, seconds);
            }
            case "mongodb" -> {
                gauge(out, "mongodb_ss_opcounters{legacy_op_type=\"query\"}", ops * 0.7 * seconds);
                gauge(out, "mongodb_ss_opcounters{legacy_op_type=\"insert\"}", ops * 0.3 * seconds);
                gauge(out, "mongodb_ss_connections{conn_type=\"current\"}", connections);
                gauge(out, "mongodb_ss_mem_resident", Math.round(memory / 1048576.0));
                gauge(out, "mongodb_ss_extra_info_user_time_us", cpu * 0.7e6 * seconds);
                gauge(out, "mongodb_ss_extra_info_system_time_us", cpu * 0.3e6 * seconds);
                gauge(out, "mongodb_dbstats_dataSize{database=\"app\"}", storage * 0.9);
                gauge(out, "mongodb_dbstats_indexSize{database=\"app\"}", storage * 0.1);
            }
            default -> {
                gauge(out, "redis_commands_processed_total", ops * seconds);
                gauge(out, "redis_connected_clients", connections);
                gauge(out, "redis_cpu_user_seconds_total", cpu * 0.7 * seconds);
                gauge(out, "redis_cpu_sys_seconds_total", cpu * 0.3 * seconds);
                gauge(out, "redis_memory_used_bytes", memory * (1 + 0.05 * wobble));
                gauge(out, "redis_memory_used_dataset_bytes", memory * 0.8);
            }
        }
        return out.toString();
    }

    /** prometheus-process-exporter series of the database's process group (named after the database). */
    private void process(StringBuilder out, double cpu, double memory, double seconds) {
        gauge(out, "namedprocess_namegroup_cpu_seconds_total{groupname=\"" + id + "\",mode=\"user\"}",
                cpu * 0.8 * seconds);
        gauge(out, "namedprocess_namegroup_cpu_seconds_total{groupname=\"" + id + "\",mode=\"system\"}",
                cpu * 0.2 * seconds);
        gauge(out, "namedprocess_namegroup_memory_bytes{groupname=\"" + id + "\",memtype=\"proportionalResident\"}",
                memory);
    }

    private static void gauge(StringBuilder out, String series, double value) {
        out.append(series).append(' ').append(value).append('\n');
    }
}
