package dev.toolformer.server;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.serde.RecordJson;
import dev.toolformer.common.time.Durations;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.Silence;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoints, behind {@code Authorization: Bearer <token>}:
 * {@code POST /api/admin/silences}, {@code DELETE /api/admin/silences/<id>},
 * {@code POST /api/admin/alerts/<fingerprint>/ack} and {@code POST /api/admin/requests/<request_id>/cancel}
 * (path parts percent-encoded). Without a configured token every {@code /api/admin/...} request is refused
 * (403) — the endpoints are never open. Bad input is 400 with {@code {"error": ..., "field": ...}}.
 */
public final class AdminRoutes implements AutoCloseable {
    /** Which endpoints a process serves: the alert ones need the silences topic, cancel the control topic. */
    public enum Scope {
        /** Silences and acknowledgements. */
        ALERTS,
        /** Request cancellation. */
        REQUESTS
    }

    static final String PREFIX = "/api/admin";
    private static final String DEFAULT_AUTHOR = "admin-api";
    private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AdminToken token;
    private final AdminActions actions;
    private final Set<Scope> scopes;

    public AdminRoutes(AdminToken token, AdminActions actions, Set<Scope> scopes) {
        this.token = Objects.requireNonNull(token, "token == null");
        this.actions = Objects.requireNonNull(actions, "actions == null");
        this.scopes = scopes.isEmpty() ? EnumSet.noneOf(Scope.class) : EnumSet.copyOf(scopes);
    }

    boolean enabled() {
        return token.enabled();
    }

    /** A refused request: 401 (with a Bearer challenge) or 403. */
    private static final class Denied extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String challenge;

        Denied(int status, String message, String challenge) {
            super(message, null, false, false);
            this.status = status;
            this.challenge = challenge;
        }
    }

    void register(JavalinConfig config) {
        config.routes.before(PREFIX + "/*", this::authorize);
        if (scopes.contains(Scope.ALERTS)) {
            config.routes.post(PREFIX + "/silences", this::createSilence);
            config.routes.delete(PREFIX + "/silences/<id>", this::expireSilence);
            config.routes.post(PREFIX + "/alerts/<fingerprint>/ack", this::acknowledge);
        }
        if (scopes.contains(Scope.REQUESTS)) {
            config.routes.post(PREFIX + "/requests/<requestId>/cancel", this::cancel);
        }
        config.routes.exception(Denied.class, (e, ctx) -> {
            if (e.challenge != null) {
                ctx.header("WWW-Authenticate", e.challenge);
            }
            ctx.status(e.status).json(Map.of("error", e.getMessage()));
        });
        config.routes.exception(AdminActions.BadInput.class, (e, ctx) ->
                ctx.status(400).json(Map.of("error", e.getMessage(), "field", e.field())));
        config.routes.exception(AdminActions.NotFound.class, (e, ctx) ->
                ctx.status(404).json(Map.of("error", e.getMessage(), "field", e.field())));
    }

    private void authorize(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        if (!token.enabled()) {
            throw new Denied(403, "admin endpoints are disabled: no admin token is configured ("
                    + AdminToken.HOW_TO_ENABLE + " to enable them)", null);
        }
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw denied(ctx, "missing bearer token: send 'Authorization: Bearer <token>'", "Bearer realm=\"toolformer\"");
        }
        String[] parts = header.strip().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer") || !token.matches(parts[1])) {
            throw denied(ctx, "invalid bearer token", "Bearer realm=\"toolformer\", error=\"invalid_token\"");
        }
    }

    private static Denied denied(Context ctx, String message, String challenge) {
        // The presented credential is never logged nor echoed, only that one was refused.
        log.warn("Refused {} {} from {}: {}", ctx.method(), ctx.path(), ctx.ip(), message);
        return new Denied(401, message, challenge);
    }

    private void createSilence(Context ctx) {
        ObjectNode body = body(ctx, true, "matchers", "duration", "comment", "author");
        Silence silence = actions.silence(matchers(body.get("matchers")), duration(body, "2h"),
                author(body), string(body, "comment"));
        log.info("Admin API: {} silences {} until {} (by '{}')", silence.getId(), silence.getMatchers(),
                silence.getEndsAt(), silence.getCreatedBy());
        ctx.status(201).json(RecordJson.toMap(silence));
    }

    private void expireSilence(Context ctx) {
        body(ctx, false);
        String id = ctx.pathParam("id");
        actions.expire(id);
        log.info("Admin API: expired {}", id);
        ctx.json(Map.of("expired", id));
    }

    private void acknowledge(Context ctx) {
        ObjectNode body = body(ctx, false, "duration", "comment", "author");
        AdminActions.Acknowledged ack = actions.acknowledge(ctx.pathParam("fingerprint"), duration(body, "24h"),
                author(body), string(body, "comment"));
        log.info("Admin API: acknowledged {} until {} (by '{}')", ack.entry().getFingerprint(), ack.entry().getEndsAt(),
                ack.entry().getCreatedBy());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("acknowledged", ack.entry().getFingerprint());
        out.put("state", ack.alert().getState().name());
        out.put("active_since", ack.alert().getActiveSince().toString());
        out.put("entry", RecordJson.toMap(ack.entry()));
        ctx.json(out);
    }

    private void cancel(Context ctx) {
        ObjectNode body = body(ctx, false, "reason", "author");
        ControlCommand command = actions.cancel(ctx.pathParam("requestId"), string(body, "reason"), author(body));
        log.info("Admin API: cancel of request {} sent as control command {} (by '{}')", command.getRequestId(),
                command.getCommandId(), command.getIssuedBy());
        ctx.status(202).json(RecordJson.toMap(command));
    }

    /** The JSON object body (empty if none and not {@code required}), with no fields but {@code allowed}. */
    private static ObjectNode body(Context ctx, boolean required, String... allowed) {
        String text = ctx.body();
        if (text.isBlank()) {
            if (required) {
                throw new AdminActions.BadInput("body", "the body is empty: expected a JSON object");
            }
            return JsonNodeFactory.instance.objectNode();
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new AdminActions.BadInput("body", "the body is not JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new AdminActions.BadInput("body", "the body is " + node.getNodeType().name().toLowerCase(Locale.ROOT)
                    + ": expected a JSON object");
        }
        Set<String> known = Set.of(allowed);
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new AdminActions.BadInput(name, "unknown field '" + name + "': expected " + String.join(", ", allowed));
            }
        }
        return object;
    }

    private static Map<String, String> matchers(JsonNode node) {
        if (node == null || node.isNull()) {
            throw new AdminActions.BadInput("matchers", "matchers is missing: expected an object of label to value,"
                    + " e.g. {\"alertname\": \"HighLatency\"}");
        }
        if (!node.isObject()) {
            throw new AdminActions.BadInput("matchers", "matchers is " + node.getNodeType().name().toLowerCase(Locale.ROOT)
                    + ": expected an object of label to value");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (var it = node.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw new AdminActions.BadInput("matchers", "matcher " + e.getKey() + " is not a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static Duration duration(ObjectNode body, String fallback) {
        String text = body.has("duration") ? textual(body, "duration") : fallback;
        return Durations.parse(text).orElseThrow(() -> new AdminActions.BadInput("duration", "duration '" + text
                + "' is not a duration: expected e.g. 30m, 2h, 1h30m, 7d or ISO-8601"));
    }

    private static String author(ObjectNode body) {
        String author = string(body, "author");
        return author.isBlank() ? DEFAULT_AUTHOR : author;
    }

    /** An optional string field; absent or null is empty. */
    private static String string(ObjectNode body, String field) {
        return body.hasNonNull(field) ? textual(body, field) : "";
    }

    private static String textual(ObjectNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || !node.isTextual()) {
            throw new AdminActions.BadInput(field, field + " must be a string");
        }
        return node.asText();
    }

    /** Closes what the admin actions hold open (the producer of silences). */
    @Override
    public void close() {
        actions.close();
    }
}
