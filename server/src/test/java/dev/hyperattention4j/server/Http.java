package dev.hyperattention4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Plain HTTP requests to a test server on the loopback interface, for what SDKs would not send. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    record Reply(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }

        /** The JSON of each {@code data:} event of a server-sent-events body, without the final [DONE]. */
        List<JsonNode> events() throws IOException {
            List<JsonNode> out = new ArrayList<>();
            for (String line : body.split("\n")) {
                if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                    out.add(JSON.readTree(line.substring(6)));
                }
            }
            return out;
        }
    }

    private Http() {
    }

    static Reply post(OpenAiServer server, String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri(server, path))
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    static Reply get(OpenAiServer server, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri(server, path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    static URI uri(OpenAiServer server, String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** The streamed text of an SSE completion reply (completions or chat). */
    static String streamedText(Reply r) throws IOException {
        StringBuilder b = new StringBuilder();
        for (JsonNode e : r.events()) {
            for (JsonNode c : e.path("choices")) {
                b.append(c.has("delta") ? c.path("delta").path("content").asText("") : c.path("text").asText(""));
            }
        }
        return b.toString();
    }

    static double metric(OpenAiServer server, String name) throws IOException, InterruptedException {
        for (String line : get(server, "/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("metric " + name + " is missing");
    }
}
