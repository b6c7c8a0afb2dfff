package dev.assistant.metrics.channel.mail;

import dev.assistant.metrics.alert.AlertEvent;

/** The subject, plain-text body and HTML body of an alert mail. */
final class MailBodies {
    private MailBodies() {
    }

    static String subject(AlertEvent e) {
        return "[" + e.status() + (e.repeat() ? ", repeat" : "") + "] " + e.rule() + " (" + e.severity() + "): "
                + e.signal() + " " + e.valueText();
    }

    static String text(AlertEvent e) {
        return e.headline() + "\n\n"
                + e.summary() + "\n\n"
                + "rule:      " + e.rule() + "\n"
                + "severity:  " + e.severity() + "\n"
                + "value:     " + e.valueText() + "\n"
                + "threshold: " + e.thresholdText() + "\n"
                + "since:     " + e.since() + "\n"
                + "at:        " + e.at() + "\n";
    }

    static String html(AlertEvent e) {
        String color = e.firing() ? "#b00020" : "#1b5e20";
        return "<!DOCTYPE html><html><body>"
                + "<h2 style=\"color:" + color + "\">" + escape(e.headline()) + "</h2>"
                + "<p>" + escape(e.summary()) + "</p>"
                + "<table>"
                + row("rule", e.rule()) + row("severity", e.severity().name()) + row("value", e.valueText())
                + row("threshold", e.thresholdText()) + row("since", e.since().toString())
                + row("at", e.at().toString())
                + "</table></body></html>";
    }

    private static String row(String name, String value) {
        return "<tr><th align=\"left\">" + name + "</th><td>" + escape(value) + "</td></tr>";
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
