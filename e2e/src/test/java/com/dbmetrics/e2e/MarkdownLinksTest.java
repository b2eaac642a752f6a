package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Nothing in the repository's markdown cites a file that is not in the repository: every relative link of every
 * {@code *.md} file (outside build output and hidden folders) points at a file or folder that exists, a link to a
 * heading of a markdown file ({@code file.md#anchor}) at a heading that exists, and every markdown file named in
 * the text ({@code BENCHMARKS.md}, {@code redis-keys.md}) exists somewhere in the repository. No services needed.
 */
class MarkdownLinksTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern LINK = Pattern.compile("\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** A markdown file named in the text, with or without its folder: {@code BENCHMARKS.md}, {@code docs/x.md}. */
    private static final Pattern MARKDOWN_NAME = Pattern.compile("(?<![\\w/.-])([\\w./-]*?([\\w-]+\\.md))\\b");

    private final List<Path> documents = markdownFiles();

    @Test
    void shouldFindTheDocuments() {
        assertThat(documents).extracting(d -> ROOT.relativize(d).toString().replace('\\', '/'))
                .contains("README.md", "docs/architecture.md", "docs/configuration.md", "docs/operations.md",
                        "deploy/README.md");
    }

    @Test
    void shouldLinkOnlyToFilesThatExist() {
        List<String> broken = new ArrayList<>();
        for (Path document : documents) {
            for (String link : links(document)) {
                String target = link.replaceFirst("[?#].*$", "");
                if (!target.isEmpty() && !Files.exists(resolve(document, target))) {
                    broken.add(ROOT.relativize(document) + ": " + link);
                }
            }
        }
        assertThat(broken).as("relative links to files that do not exist").isEmpty();
    }

    @Test
    void shouldLinkOnlyToHeadingsThatExist() {
        List<String> broken = new ArrayList<>();
        Map<Path, Set<String>> anchors = new HashMap<>();
        for (Path document : documents) {
            for (String link : links(document)) {
                int hash = link.indexOf('#');
                if (hash < 0) {
                    continue;
                }
                String target = link.substring(0, hash);
                Path file = target.isEmpty() ? document : resolve(document, target);
                String anchor = link.substring(hash + 1);
                if (file.toString().endsWith(".md") && Files.isRegularFile(file)
                        && !anchors.computeIfAbsent(file, MarkdownLinksTest::anchors).contains(anchor)) {
                    broken.add(ROOT.relativize(document) + ": " + link);
                }
            }
        }
        assertThat(broken).as("links to headings that do not exist").isEmpty();
    }

    @Test
    void shouldNameOnlyMarkdownFilesThatExist() {
        Set<String> existing = new TreeSet<>();
        documents.forEach(d -> existing.add(d.getFileName().toString()));
        List<String> missing = new ArrayList<>();
        for (Path document : documents) {
            Matcher m = MARKDOWN_NAME.matcher(read(document));
            while (m.find()) {
                if (!existing.contains(m.group(2))) {
                    missing.add(ROOT.relativize(document) + ": " + m.group(1));
                }
            }
        }
        assertThat(missing).as("markdown files named but not in the repository").isEmpty();
    }

    /** The relative links of a document, outside fenced code blocks. */
    private static List<String> links(Path document) {
        List<String> links = new ArrayList<>();
        boolean fenced = false;
        for (String line : read(document).lines().toList()) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher m = LINK.matcher(line);
            while (m.find()) {
                String link = m.group(1);
                if (!link.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) { // not http:, https:, mailto:
                    links.add(link);
                }
            }
        }
        return links;
    }

    private static Path resolve(Path document, String target) {
        String path = URLDecoder.decode(target, StandardCharsets.UTF_8);
        return (path.startsWith("/") ? ROOT.resolve(path.substring(1)) : document.getParent().resolve(path))
                .normalize();
    }

    /** The anchors GitHub makes of a document's headings: lower case, punctuation dropped, spaces as hyphens. */
    private static Set<String> anchors(Path document) {
        Set<String> anchors = new TreeSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : read(document).lines().toList()) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced && line.matches("^#{1,6}\\s.*")) {
                String slug = line.replaceFirst("^#+\\s+", "").strip().toLowerCase(Locale.ROOT)
                        .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
                int count = seen.merge(slug, 1, Integer::sum);
                anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
            }
        }
        return anchors;
    }

    /** Every markdown file of the repository; build output, dependencies and hidden folders (.git, .dbm) are not. */
    private static List<Path> markdownFiles() {
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                    boolean skip = !dir.equals(ROOT)
                            && (name.startsWith(".") || name.equals("target") || name.equals("node_modules"));
                    return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    if (attributes.isRegularFile() && file.getFileName().toString().endsWith(".md")) {
                        found.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // a file that went away while walking is no document
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        found.sort(null);
        return found;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
