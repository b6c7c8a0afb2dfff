package dev.assistant.metrics.notify;

import dev.assistant.metrics.Json;
import dev.assistant.metrics.alert.AlertEvent;

/**
 * How a {@link WebhookNotifier} renders an event as an HTTP body and judges the receiver's answer.
 * {@link #GENERIC_JSON} and {@link #WECOM_MARKDOWN} are provided; implement this for other chat robots.
 */
public interface WebhookFormat {
    /** A flat JSON object with every field of the event (see the module README for an example). */
    WebhookFormat GENERIC_JSON = new WebhookFormat() {
        @Override
        public String body(AlertEvent e) {
            return Json.object()
                    .field("rule", e.rule())
                    .field("status", e.status().name())
                    .field("repeat", e.repeat())
                    .field("severity", e.severity().name())
                    .field("signal", e.signal())
                    .field("value", e.value())
                    .field("threshold", e.threshold())
                    .field("valueText", e.valueText())
                    .field("thresholdText", e.thresholdText())
                    .field("summary", e.summary())
                    .field("since", e.since().toString())
                    .field("at", e.at().toString())
                    .build();
        }

        @Override
        public String toString() {
            return "GENERIC_JSON";
        }
    };

    /**
     * The WeCom (企业微信) group-robot markdown message, {@code {"msgtype":"markdown","markdown":{"content":...}}}.
     * WeCom answers HTTP 200 with {@code "errcode"}; a non-zero code is a failure, retried for "busy" (-1) and
     * rate limiting (45009).
     */
    WebhookFormat WECOM_MARKDOWN = new WebhookFormat() {
        @Override
        public String body(AlertEvent e) {
            String color = e.firing() ? "warning" : "info";
            String content = "**" + (e.firing() ? (e.repeat() ? "[FIRING, repeat]" : "[FIRING]") : "[RESOLVED]")
                    + " " + e.rule() + "** (" + e.severity() + ")\n"
                    + "> " + e.signal() + ": <font color=\"" + color + "\">" + e.valueText() + "</font>"
                    + " (threshold " + e.thresholdText() + ")\n"
                    + "> since: " + e.since() + "\n"
                    + "> at: " + e.at() + "\n"
                    + e.summary();
            return Json.object()
                    .field("msgtype", "markdown")
                    .rawField("markdown", Json.object().field("content", content).build())
                    .build();
        }

        @Override
        public Outcome judge(int status, String responseBody) {
            Outcome byStatus = WebhookFormat.super.judge(status, responseBody);
            if (byStatus != Outcome.DELIVERED) {
                return byStatus;
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"errcode\"\\s*:\\s*(-?\\d+)")
                    .matcher(responseBody == null ? "" : responseBody);
            if (!m.find() || m.group(1).equals("0")) {
                return Outcome.DELIVERED;
            }
            return m.group(1).equals("-1") || m.group(1).equals("45009") ? Outcome.RETRY : Outcome.REJECTED;
        }

        @Override
        public String toString() {
            return "WECOM_MARKDOWN";
        }
    };

    /** The request body for {@code event} (sent as {@code application/json; charset=utf-8}). */
    String body(AlertEvent event);

    /**
     * Whether a response means delivered, worth retrying, or rejected for good. Default: 2xx delivered; 408, 429
     * and 5xx retried; anything else rejected.
     */
    default Outcome judge(int status, String responseBody) {
        if (status >= 200 && status < 300) {
            return Outcome.DELIVERED;
        }
        return status == 408 || status == 429 || status >= 500 ? Outcome.RETRY : Outcome.REJECTED;
    }

    /** The verdict on one delivery attempt. */
    enum Outcome {
        DELIVERED, RETRY, REJECTED
    }
}
