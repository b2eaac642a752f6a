package com.dbmetrics.poller.catalogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A static inventory ({@code POLLER_INVENTORY_FILE}) instead of discovery from target labels, re-read at every
 * discovery so edits apply without a restart. Shape: {@code {"databases": [{"database_id": "...", "database_name":
 * "...", "engine": "...", "domain": "...", "project": "...", "dbmetrics_interval": "30s"}]}} (the interval is
 * optional). The metric queries still select series by their {@code database_id} label.
 */
public final class InventoryFile implements InventorySource {

    private final ObjectMapper mapper;
    private final Path file;
    private final Duration baseTick;

    public InventoryFile(ObjectMapper mapper, Path file, Duration baseTick) {
        this.mapper = mapper;
        this.file = file;
        this.baseTick = baseTick;
    }

    @Override
    public Discovery.Result discover(Instant time) throws DiscoveryException {
        JsonNode root;
        try {
            root = mapper.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new DiscoveryException("file", "cannot read inventory file " + file + ": " + e.getMessage(), e);
        }
        JsonNode databases = root == null ? null : root.get("databases");
        if (databases == null || !databases.isArray()) {
            throw new DiscoveryException("file", "inventory file " + file + " must hold a \"databases\" array", null);
        }
        Discovery.Collector collector = new Discovery.Collector(baseTick);
        int row = 0;
        for (JsonNode entry : databases) {
            Map<String, String> labels = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = entry.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                labels.put(field.getKey(), field.getValue().asText());
            }
            collector.add(labels, file.getFileName() + "[" + row++ + "]");
        }
        return collector.result();
    }

    @Override
    public boolean queriesPrometheus() {
        return false;
    }
}
