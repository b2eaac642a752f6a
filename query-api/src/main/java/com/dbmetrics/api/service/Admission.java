package com.dbmetrics.api.service;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.schemas.Metric;
import java.util.Set;

/**
 * The steps every read starts with once its path is valid: {@code ?fields=} parsed, then the caller's request limits
 * (per user, and global when on). Either the read may go on with {@code fields} and {@code rate}, or {@code refusal} is
 * the answer (400 or 429).
 */
record Admission(Set<Metric> fields, Decision rate, ReadResult.Answer refusal) {

    static Admission of(RateLimits limits, Principal caller, String fieldsParam) {
        Set<Metric> fields;
        try {
            fields = SnapshotRenderer.parseFields(fieldsParam);
        } catch (IllegalArgumentException e) {
            return new Admission(null, null, new ReadResult.Answer(new ReadResult.BadRequest(e.getMessage()), null));
        }
        Decision rate = limits.admitRequest(caller.userId());
        if (!rate.allowed()) {
            return new Admission(fields, rate, new ReadResult.Answer(new ReadResult.RateLimited(rate), rate));
        }
        return new Admission(fields, rate, null);
    }

    boolean refused() {
        return refusal != null;
    }
}
