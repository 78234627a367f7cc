package dev.berth.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Paging by {@code Link: <url>; rel="next"} headers. */
final class Links {

    private static final Pattern NEXT = Pattern.compile("^<([^>]+)>;\\s*rel=\"next\"$");

    private Links() {
    }

    /** The target of a {@code rel="next"} Link header, failing the test when the header is malformed. */
    static Optional<String> next(Registry.Reply r) {
        return r.header("Link").map(link -> {
            Matcher m = NEXT.matcher(link);
            assertThat(m.matches()).as("Link header %s is <url>; rel=\"next\"", link).isTrue();
            return m.group(1);
        });
    }

    /**
     * Follows Link headers from {@code first}, collecting {@code items(page)} of every page; checks that each page
     * has at most {@code n} items, exactly {@code n} when a Link follows, and that each page answered 200.
     */
    static List<String> collect(Registry registry, String first, int n, Function<JsonNode, List<String>> items,
                                List<Registry.Reply> pages) {
        List<String> all = new ArrayList<>();
        String url = first;
        for (int i = 0; i < 10_000 && url != null; i++) {
            Registry.Reply r = registry.get(url);
            assertThat(r.status()).as("GET %s: %s", url, r).isEqualTo(200);
            pages.add(r);
            List<String> page = items.apply(r.json());
            Optional<String> next = next(r);
            assertThat(page.size()).as("page %s", url).isLessThanOrEqualTo(n);
            if (next.isPresent()) {
                assertThat(page).as("a page with a Link after it is full: %s", url).hasSize(n);
            }
            all.addAll(page);
            url = next.orElse(null);
        }
        return all;
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
