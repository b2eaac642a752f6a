package com.dbmetrics.api.prom;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The part of PromQL this API answers, parsed into an {@link Expr}: vector selectors ({@code name{label op "value",
 * ...}} with {@code =}, {@code !=}, {@code =~}, {@code !~}, {@code __name__} included), number literals and arithmetic
 * on them ({@code 1+1}, Grafana's data-source test), and {@code sum|avg|min|max|count [by|without (labels)]
 * (selector)} in either of PromQL's two orders. Anything else is refused with {@link #UNSUPPORTED}.
 */
final class PromQl {

    static final String UNSUPPORTED = "supported: vector selectors (name{label=\"v\", label!=\"v\", label=~\"re\", "
            + "label!~\"re\"}), number literals with + - * / between them, and sum|avg|min|max|count by|without "
            + "(labels) (selector)";
    static final int MAX_LENGTH = 4096;
    static final int MAX_DEPTH = 64;
    private static final Set<String> AGGREGATIONS = Set.of("sum", "avg", "min", "max", "count");

    /** A parsed expression. */
    sealed interface Expr permits Number, Arithmetic, Selector, Aggregation {}

    record Number(double value) implements Expr {}

    record Arithmetic(char op, Expr left, Expr right) implements Expr {}

    /** A vector selector: every series whose labels satisfy all matchers. */
    record Selector(List<Matcher> matchers) implements Expr {}

    /** {@code op by (labels) (selector)} or {@code op without (labels) (selector)}. */
    record Aggregation(String op, List<String> grouping, boolean without, Selector selector) implements Expr {}

    enum MatchOp {
        EQ("="), NE("!="), RE("=~"), NRE("!~");

        final String text;

        MatchOp(String text) {
            this.text = text;
        }
    }

    /** One label matcher; regular expressions are fully anchored, as in Prometheus. */
    record Matcher(String label, MatchOp op, String value, Pattern pattern) {

        static Matcher of(String label, MatchOp op, String value) {
            Pattern pattern = null;
            if (op == MatchOp.RE || op == MatchOp.NRE) {
                try {
                    pattern = Pattern.compile("^(?:" + value + ")$", Pattern.DOTALL);
                } catch (PatternSyntaxException e) {
                    throw new PromError.BadData("invalid regular expression in matcher for " + label);
                }
            }
            return new Matcher(label, op, value, pattern);
        }

        /** Whether a series with this label value ({@code ""} when it lacks the label) matches. */
        boolean matches(String labelValue) {
            String v = labelValue == null ? "" : labelValue;
            return switch (op) {
                case EQ -> v.equals(value);
                case NE -> !v.equals(value);
                case RE -> pattern.matcher(new Budgeted(v)).matches();
                case NRE -> !pattern.matcher(new Budgeted(v)).matches();
            };
        }
    }

    /** Character reads one regular-expression match may make: Java's engine backtracks, Prometheus' RE2 does not. */
    static final int MATCH_BUDGET = 1_000_000;

    /**
     * A label value that stops a match reading it more than {@link #MATCH_BUDGET} times: a pattern such as
     * {@code (.*a){20}} would otherwise take exponential time on a 256-character value and hold a request thread.
     */
    private static final class Budgeted implements CharSequence {
        private final String value;
        private int reads;

        Budgeted(String value) {
            this.value = value;
        }

        @Override
        public char charAt(int index) {
            if (++reads > MATCH_BUDGET) {
                throw new PromError.BadData("regular expression too expensive to evaluate; simplify it");
            }
            return value.charAt(index);
        }

        @Override
        public int length() {
            return value.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return value.subSequence(start, end);
        }

        @Override
        public String toString() {
            return value;
        }
    }

    private final String text;
    private int pos;
    private int depth;

    private PromQl(String text) {
        this.text = text;
    }

    /** Parses a query, or throws {@link PromError.BadData} saying what is supported. */
    static Expr parse(String query) {
        if (query == null || query.isBlank()) {
            throw new PromError.BadData("invalid parameter \"query\": empty query; " + UNSUPPORTED);
        }
        if (query.length() > MAX_LENGTH) {
            throw new PromError.BadData("query longer than " + MAX_LENGTH + " characters");
        }
        PromQl parser = new PromQl(query);
        Expr expr = parser.sum();
        parser.skipSpace();
        if (parser.pos < query.length()) {
            throw parser.unsupported();
        }
        if (expr instanceof Selector s && s.matchers().stream().allMatch(m -> m.matches(""))) {
            throw new PromError.BadData("vector selector must contain at least one non-empty matcher");
        }
        return expr;
    }

    /** Parses a {@code match[]} series selector: a vector selector only. */
    static Selector parseSelector(String text) {
        Expr expr = parse(text);
        if (!(expr instanceof Selector selector)) {
            throw new PromError.BadData("match[] must be a vector selector, e.g. dbmetrics_cpu_usage{project=\"shop\"}");
        }
        return selector;
    }

    // sum := product (('+' | '-') product)*
    private Expr sum() {
        Expr left = product();
        while (true) {
            skipSpace();
            char c = peek();
            if (c != '+' && c != '-') {
                return left;
            }
            pos++;
            left = arithmetic(c, left, product());
        }
    }

    private Expr product() {
        Expr left = unary();
        while (true) {
            skipSpace();
            char c = peek();
            if (c != '*' && c != '/') {
                return left;
            }
            pos++;
            left = arithmetic(c, left, unary());
        }
    }

    private Expr arithmetic(char op, Expr left, Expr right) {
        if (!(left instanceof Number || left instanceof Arithmetic)
                || !(right instanceof Number || right instanceof Arithmetic)) {
            throw new PromError.BadData("arithmetic is supported between numbers only; " + UNSUPPORTED);
        }
        return new Arithmetic(op, left, right);
    }

    private Expr unary() {
        skipSpace();
        char c = peek();
        if (c == '-' || c == '+') {
            if (++depth > MAX_DEPTH) {
                throw new PromError.BadData("too many signs in a row");
            }
            pos++;
            Expr operand = unary();
            depth--;
            if (!(operand instanceof Number || operand instanceof Arithmetic)) {
                throw unsupported();
            }
            return c == '-' ? new Arithmetic('*', new Number(-1), operand) : operand;
        }
        return primary();
    }

    private Expr primary() {
        skipSpace();
        char c = peek();
        if (c == '(') {
            if (++depth > MAX_DEPTH) {
                throw new PromError.BadData("parentheses nested deeper than " + MAX_DEPTH);
            }
            pos++;
            Expr inner = sum();
            expect(')');
            depth--;
            return inner;
        }
        if (Character.isDigit(c) || c == '.') {
            return number();
        }
        if (c == '{') {
            return selector(null);
        }
        if (isNameStart(c)) {
            String name = name(true);
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("inf") || lower.equals("nan")) {
                return new Number(lower.equals("inf") ? Double.POSITIVE_INFINITY : Double.NaN);
            }
            skipSpace();
            if (AGGREGATIONS.contains(lower) && (peek() == '(' || startsWithWord("by") || startsWithWord("without"))) {
                return aggregation(lower);
            }
            if (peek() == '(') {
                throw new PromError.BadData("function " + name + "() is not supported; " + UNSUPPORTED);
            }
            return selector(name);
        }
        throw unsupported();
    }

    private Expr aggregation(String op) {
        List<String> grouping = List.of();
        boolean without = false;
        boolean hasGrouping = false;
        skipSpace();
        if (startsWithWord("by") || startsWithWord("without")) {
            without = startsWithWord("without");
            name(false);
            grouping = labelList();
            hasGrouping = true;
        }
        expect('(');
        Expr inner = sum();
        expect(')');
        skipSpace();
        if (!hasGrouping && (startsWithWord("by") || startsWithWord("without"))) {
            without = startsWithWord("without");
            name(false);
            grouping = labelList();
        }
        if (!(inner instanceof Selector selector)) {
            throw new PromError.BadData(op + "() is supported over a vector selector only; " + UNSUPPORTED);
        }
        return new Aggregation(op, grouping, without, selector);
    }

    private List<String> labelList() {
        expect('(');
        List<String> labels = new ArrayList<>();
        skipSpace();
        if (peek() == ')') {
            pos++;
            return labels;
        }
        while (true) {
            skipSpace();
            labels.add(name(false));
            skipSpace();
            if (peek() == ',') {
                pos++;
                skipSpace();
                if (peek() == ')') {
                    pos++;
                    return labels;
                }
                continue;
            }
            expect(')');
            return labels;
        }
    }

    private Selector selector(String name) {
        List<Matcher> matchers = new ArrayList<>();
        if (name != null) {
            matchers.add(Matcher.of("__name__", MatchOp.EQ, name));
        }
        skipSpace();
        if (peek() == '{') {
            pos++;
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                String label = name(false);
                skipSpace();
                MatchOp op = matchOp();
                skipSpace();
                matchers.add(Matcher.of(label, op, string()));
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    continue;
                }
                expect('}');
                break;
            }
        }
        skipSpace();
        if (peek() == '[') {
            throw new PromError.BadData("range vectors ([5m]) are not supported; " + UNSUPPORTED);
        }
        if (startsWithWord("offset") || peek() == '@') {
            throw new PromError.BadData("offset and @ modifiers are not supported; " + UNSUPPORTED);
        }
        return new Selector(List.copyOf(matchers));
    }

    private MatchOp matchOp() {
        if (text.startsWith("=~", pos)) {
            pos += 2;
            return MatchOp.RE;
        }
        if (text.startsWith("!~", pos)) {
            pos += 2;
            return MatchOp.NRE;
        }
        if (text.startsWith("!=", pos)) {
            pos += 2;
            return MatchOp.NE;
        }
        if (text.startsWith("=", pos)) {
            pos += 1;
            return MatchOp.EQ;
        }
        throw new PromError.BadData("expected a label matcher operator (=, !=, =~, !~) at position " + pos);
    }

    /** A PromQL string literal: double, single or back quotes; Go escapes in the first two. */
    private String string() {
        char quote = peek();
        if (quote != '"' && quote != '\'' && quote != '`') {
            throw new PromError.BadData("expected a quoted label value at position " + pos);
        }
        pos++;
        StringBuilder out = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == quote) {
                return out.toString();
            }
            if (c == '\\' && quote != '`') {
                if (pos >= text.length()) {
                    break;
                }
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case '\\', '"', '\'' -> out.append(e);
                    default -> {
                        // kept as written: regular expressions use \d, \w, \. and the like
                        out.append('\\').append(e);
                    }
                }
            } else {
                out.append(c);
            }
        }
        throw new PromError.BadData("unterminated quoted string");
    }

    private Number number() {
        int start = pos;
        if (text.startsWith("0x", pos) || text.startsWith("0X", pos)) {
            pos += 2;
            while (pos < text.length() && Character.digit(text.charAt(pos), 16) >= 0) {
                pos++;
            }
            try {
                return new Number(Long.parseLong(text.substring(start + 2, pos), 16));
            } catch (NumberFormatException e) {
                throw new PromError.BadData("bad number " + text.substring(start, pos));
            }
        }
        while (pos < text.length() && (Character.isDigit(text.charAt(pos)) || text.charAt(pos) == '.')) {
            pos++;
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
        }
        if (pos < text.length() && isNameStart(text.charAt(pos))) {
            throw new PromError.BadData("durations and numbers followed by names are not supported; " + UNSUPPORTED);
        }
        try {
            return new Number(Double.parseDouble(text.substring(start, pos)));
        } catch (NumberFormatException e) {
            throw new PromError.BadData("bad number " + text.substring(start, pos));
        }
    }

    /** A metric name ({@code :} allowed) or a label name. */
    private String name(boolean metric) {
        int start = pos;
        if (pos >= text.length() || !isNameStart(text.charAt(pos)) || (!metric && text.charAt(pos) == ':')) {
            throw new PromError.BadData("expected a " + (metric ? "metric" : "label") + " name at position " + pos);
        }
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isLetterOrDigit(c) && c < 128 || c == '_' || (metric && c == ':')) {
                pos++;
            } else {
                break;
            }
        }
        return text.substring(start, pos);
    }

    private static boolean isNameStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    }

    private boolean startsWithWord(String word) {
        if (!text.regionMatches(true, pos, word, 0, word.length())) {
            return false;
        }
        int end = pos + word.length();
        if (end < text.length()) {
            char next = text.charAt(end);
            if (Character.isLetterOrDigit(next) || next == '_' || next == ':') {
                return false;
            }
        }
        return true;
    }

    private void expect(char c) {
        skipSpace();
        if (peek() != c) {
            throw new PromError.BadData("expected '" + c + "' at position " + pos + "; " + UNSUPPORTED);
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else {
                return;
            }
        }
    }

    private PromError.BadData unsupported() {
        return new PromError.BadData("unsupported expression at position " + pos + "; " + UNSUPPORTED);
    }
}
