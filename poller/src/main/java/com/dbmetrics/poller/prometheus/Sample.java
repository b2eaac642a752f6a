package com.dbmetrics.poller.prometheus;

import java.util.Map;

/** One element of an instant vector: its labels and value. */
public record Sample(Map<String, String> labels, double value) {
    public Sample {
        labels = Map.copyOf(labels);
    }

    public String label(String name) {
        return labels.get(name);
    }
}
