package com.dbmetrics.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IdentifiersTest {

    @Test
    void shouldAcceptExactlyWhatThePublishedPatternAccepts() {
        List<String> samples = new ArrayList<>(List.of("", ".", ".a", "a.", "a", "pg-demo-1", "A_b.c-9", "a/b", "a b",
                "é", "a:b", "x".repeat(128), "x".repeat(129), "-", "_", "a\n", "0"));
        Random random = new Random(42);
        String alphabet = "aZ09._-/: é{}\n";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            int length = random.nextInt(6);
            for (int j = 0; j < length; j++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            samples.add(s.toString());
        }
        for (String sample : samples) {
            assertThat(Identifiers.isValid(sample)).as("'%s'", sample)
                    .isEqualTo(Identifiers.PATTERN.matcher(sample).matches());
        }
        assertThat(Identifiers.isValid(null)).isFalse();
    }
}
