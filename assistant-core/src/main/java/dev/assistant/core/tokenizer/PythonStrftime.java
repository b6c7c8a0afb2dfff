package dev.assistant.core.tokenizer;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.WeekFields;
import java.time.DayOfWeek;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} in the C locale, for the {@code strftime_now(format)} helper HF chat templates
 * call (Llama 3.x: {@code strftime_now("%d %b %Y")}). Supports the C89 directives, {@code %e}, {@code %f} and the
 * glibc no-padding flag {@code %-d}.
 */
final class PythonStrftime {
    private PythonStrftime() {
    }

    static String format(String format, ZonedDateTime t) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < format.length()) {
                noPad = true;
                d = format.charAt(++i);
            }
            out.append(directive(d, t, noPad));
        }
        return out.toString();
    }

    private static String directive(char d, ZonedDateTime t, boolean noPad) {
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'd' -> pad(t.getDayOfMonth(), 2, noPad);
            case 'e' -> noPad ? Integer.toString(t.getDayOfMonth()) : String.format(Locale.ROOT, "%2d", t.getDayOfMonth());
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
            case 'm' -> pad(t.getMonthValue(), 2, noPad);
            case 'y' -> pad(t.getYear() % 100, 2, noPad);
            case 'Y' -> Integer.toString(t.getYear());
            case 'H' -> pad(t.getHour(), 2, noPad);
            case 'I' -> pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, noPad);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'M' -> pad(t.getMinute(), 2, noPad);
            case 'S' -> pad(t.getSecond(), 2, noPad);
            case 'f' -> pad(t.get(ChronoField.MICRO_OF_SECOND), 6, false);
            case 'z' -> t.getOffset().getTotalSeconds() == 0 && t.getZone().getId().equals("Z")
                    ? "+0000" : DateTimeFormatter.ofPattern("xx", Locale.US).format(t);
            case 'Z' -> t.getZone().getId().equals("Z") ? "UTC" : t.getZone().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'j' -> pad(t.getDayOfYear(), 3, noPad);
            case 'U' -> pad(t.get(WeekFields.of(DayOfWeek.SUNDAY, 7).weekOfYear()), 2, noPad);
            case 'W' -> pad(t.get(WeekFields.of(DayOfWeek.MONDAY, 7).weekOfYear()), 2, noPad);
            case 'c' -> format("%a %b %e %H:%M:%S %Y", t);
            case 'x' -> format("%m/%d/%y", t);
            case 'X' -> format("%H:%M:%S", t);
            case '%' -> "%";
            default -> throw new AssistantException(ErrorCode.MODEL_INVALID,
                    "chat template uses an unsupported strftime directive %" + d);
        };
    }

    private static String pad(int value, int width, boolean noPad) {
        String s = Integer.toString(value);
        if (noPad || s.length() >= width) {
            return s;
        }
        return "0".repeat(width - s.length()) + s;
    }
}
