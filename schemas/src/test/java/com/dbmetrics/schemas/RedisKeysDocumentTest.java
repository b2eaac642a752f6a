package com.dbmetrics.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis key document ({@code schemas/redis-keys.md}) and {@link RedisKeys} cannot drift: every key a builder makes
 * matches a pattern of the document's table, every pattern there is made by a builder, and the files it names exist.
 */
class RedisKeysDocumentTest {

    /** A backticked key pattern at the start of a table row, e.g. {@code | `dbm:{<database_id>}:fresh` |}. */
    private static final Pattern ROW_KEY = Pattern.compile("(?m)^\\| `(dbm:[^`]+)` \\|");
    private static final Pattern PLACEHOLDER = Pattern.compile("<[a-z_]+>");

    /** The section of the pub/sub channels: its table rows name channels, not keys. */
    private static final String CHANNELS_SECTION = "## Channels of the live feed";

    private String document;
    /** Documented pattern → the regex it stands for (a placeholder is an identifier: no ':', no braces). */
    private final Map<String, Pattern> documented = new LinkedHashMap<>();
    private final List<String> channels = new ArrayList<>();

    @BeforeEach
    void readDocument() {
        document = SchemaFiles.text("redis-keys.md");
        int start = document.indexOf(CHANNELS_SECTION);
        int end = start < 0 ? -1 : document.indexOf("\n## ", start + 1);
        String channelSection = start < 0 ? "" : document.substring(start, end < 0 ? document.length() : end);
        String keySections = start < 0 ? document
                : document.substring(0, start) + (end < 0 ? "" : document.substring(end));
        Matcher row = ROW_KEY.matcher(keySections);
        while (row.find()) {
            documented.put(row.group(1), regex(row.group(1)));
        }
        Matcher channel = ROW_KEY.matcher(channelSection);
        while (channel.find()) {
            channels.add(channel.group(1));
        }
    }

    @Test
    void shouldDocumentEveryChannelAndNoOther() {
        assertThat(channels).containsExactlyInAnyOrder(RedisKeys.SNAPSHOTS_CHANNEL, RedisKeys.REMOVED_CHANNEL);
    }

    @Test
    void shouldDocumentEveryKeyTheBuildersMake() throws Exception {
        assertThat(builders()).isNotEmpty();
        for (Method builder : builders()) {
            String key = (String) builder.invoke(null, sampleArguments(builder));

            assertThat(documented.values()).as("documented pattern for RedisKeys.%s (%s) in redis-keys.md: %s",
                    builder.getName(), key, documented.keySet()).anyMatch(p -> p.matcher(key).matches());
        }
    }

    @Test
    void shouldHaveABuilderForEveryDocumentedKey() throws Exception {
        List<String> made = new ArrayList<>();
        for (Method builder : builders()) {
            made.add((String) builder.invoke(null, sampleArguments(builder)));
        }
        assertThat(documented).as("key rows of redis-keys.md").isNotEmpty();
        documented.forEach((pattern, regex) -> assertThat(made)
                .as("a RedisKeys builder making %s", pattern).anyMatch(key -> regex.matcher(key).matches()));
    }

    @Test
    void shouldDocumentTheConstants() {
        assertThat(documented.keySet()).anyMatch(p -> p.startsWith(RedisKeys.RATE_LIMIT_PREFIX));
        assertThat(document).contains(RedisKeys.STALE_TTL_SECONDS + " s");
    }

    @Test
    void shouldNameOnlySchemaFilesThatArePublished() {
        Matcher file = Pattern.compile("[a-z0-9.-]+\\.schema\\.json").matcher(document);
        List<String> named = new ArrayList<>();
        while (file.find()) {
            named.add(file.group());
        }
        assertThat(named).isNotEmpty();
        assertThat(SchemaFiles.names()).containsAll(named);
    }

    /** Every public static method of RedisKeys that returns a key. */
    private static List<Method> builders() {
        return Arrays.stream(RedisKeys.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()))
                .filter(m -> m.getReturnType() == String.class)
                .collect(Collectors.toList());
    }

    /** Identifier-like sample values, one per parameter, so the key keeps the shape of its pattern. */
    private static Object[] sampleArguments(Method builder) {
        Class<?>[] types = builder.getParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            if (types[i] == String.class) {
                args[i] = "sample-" + i;
            } else if (types[i] == long.class) {
                args[i] = 29_930_427L;
            } else if (types[i] == int.class) {
                args[i] = 7;
            } else {
                throw new IllegalStateException("no sample value for " + types[i] + " of RedisKeys."
                        + builder.getName());
            }
        }
        return args;
    }

    private static Pattern regex(String documentedKey) {
        StringBuilder regex = new StringBuilder();
        Matcher placeholder = PLACEHOLDER.matcher(documentedKey);
        int at = 0;
        while (placeholder.find()) {
            regex.append(Pattern.quote(documentedKey.substring(at, placeholder.start()))).append("[A-Za-z0-9._-]+");
            at = placeholder.end();
        }
        return Pattern.compile(regex.append(Pattern.quote(documentedKey.substring(at))).toString());
    }
}
