package com.dbmetrics.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.Objects;

/**
 * The state of one of the poller's circuit breakers: value of {@code dbmetrics.poller-status.v1} (key = breaker name)
 * and of the Redis key {@code dbm:poller-status:<breaker>}. JSON Schema: {@code schemas/poller-status.v1.schema.json}.
 */
@JsonPropertyOrder({"breaker", "state", "since", "last_success", "last_error", "updated_at", "poller_id"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record PollerStatus(
        @JsonProperty("breaker") String breaker,
        @JsonProperty("state") State state,
        @JsonProperty("since") Instant since,
        @JsonProperty("last_success") Instant lastSuccess,
        @JsonProperty("last_error") String lastError,
        @JsonProperty("updated_at") Instant updatedAt,
        @JsonProperty("poller_id") String pollerId) {

    /** The breaker's states, as resilience4j names them. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    public PollerStatus {
        Identifiers.require("breaker", breaker);
        Objects.requireNonNull(state, "state must be set");
        Objects.requireNonNull(since, "since must be set");
        Objects.requireNonNull(updatedAt, "updated_at must be set");
        Objects.requireNonNull(pollerId, "poller_id must be set");
    }
}
