package dev.assistant.metrics.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.assistant.metrics.channel.mail.MailSecurity;
import dev.assistant.metrics.route.RateLimit;

import java.net.URI;
import java.util.List;

/**
 * One channel of the alerts configuration, selected by {@code "type"}. Secrets are named by key id (resolved
 * through the key provider at delivery time), never written here. {@code rateLimit} overrides the configuration's
 * default for this channel.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ChannelSettings.Log.class, name = "log"),
        @JsonSubTypes.Type(value = ChannelSettings.Webhook.class, name = "webhook"),
        @JsonSubTypes.Type(value = ChannelSettings.Wecom.class, name = "wecom"),
        @JsonSubTypes.Type(value = ChannelSettings.Email.class, name = "email"),
        @JsonSubTypes.Type(value = ChannelSettings.AliyunSms.class, name = "aliyun-sms"),
        @JsonSubTypes.Type(value = ChannelSettings.AliyunVoice.class, name = "aliyun-voice")})
public sealed interface ChannelSettings {
    /** This channel's own rate limit, or null for the default. */
    RateLimit rateLimit();

    /** {@code {"type":"log"}}: the SLF4J logger {@code dev.assistant.alerts}. */
    record Log(RateLimit rateLimit) implements ChannelSettings {
    }

    /** {@code {"type":"webhook","url":...}}: the generic JSON body POSTed to {@code url}. */
    record Webhook(URI url, RateLimit rateLimit) implements ChannelSettings {
        public Webhook {
            httpUrl(url, "url");
        }
    }

    /**
     * {@code {"type":"wecom","url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send","key":"wecom-robot"}}: a WeCom
     * group robot; {@code key} is the key id of the robot key, which is appended as {@code ?key=}.
     */
    record Wecom(URI url, String key, RateLimit rateLimit) implements ChannelSettings {
        /** WeCom's robot endpoint. */
        public static final URI DEFAULT_URL = URI.create("https://qyapi.weixin.qq.com/cgi-bin/webhook/send");

        public Wecom {
            url = url == null ? DEFAULT_URL : url;
            httpUrl(url, "url");
            if (url.getRawQuery() != null) {
                throw new IllegalArgumentException("url must not carry a query (the robot key is a key id: 'key')");
            }
            required(key, "key");
        }
    }

    /**
     * {@code {"type":"email","host":...,"port":587,"security":"STARTTLS","username":...,"password":"smtp-password",
     * "from":...,"to":[...],"html":true}}; {@code password} is a key id; no username means no authentication.
     */
    record Email(String host, Integer port, MailSecurity security, String username, String password, String from,
                 List<String> to, Boolean html, RateLimit rateLimit) implements ChannelSettings {
        public Email {
            required(host, "host");
            html = html != null && html;
            security = security == null ? MailSecurity.STARTTLS : security;
            port = port != null ? port : switch (security) {
                case NONE -> 25;
                case STARTTLS -> 587;
                case SMTPS -> 465;
            };
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535");
            }
            if ((username == null) != (password == null)) {
                throw new IllegalArgumentException("username and password (a key id) go together");
            }
            required(from, "from");
            to = nonEmpty(to, "to");
        }
    }

    /**
     * Alibaba Cloud SMS ({@code SendSms}): {@code accessKeySecret} is a key id; the template uses {@code ${rule}},
     * {@code ${status}}, {@code ${value}}, {@code ${threshold}}.
     */
    record AliyunSms(URI endpoint, String regionId, String accessKeyId, String accessKeySecret, String signName,
                     String templateCode, List<String> phoneNumbers, RateLimit rateLimit) implements ChannelSettings {
        public AliyunSms {
            endpoint = endpoint == null ? URI.create("https://dysmsapi.aliyuncs.com/") : endpoint;
            httpUrl(endpoint, "endpoint");
            regionId = regionId == null ? "cn-hangzhou" : regionId;
            required(accessKeyId, "accessKeyId");
            required(accessKeySecret, "accessKeySecret");
            required(signName, "signName");
            required(templateCode, "templateCode");
            phoneNumbers = nonEmpty(phoneNumbers, "phoneNumbers");
        }
    }

    /** Alibaba Cloud Voice ({@code SingleCallByTts}): a call from {@code calledShowNumber} reading {@code ttsCode}. */
    record AliyunVoice(URI endpoint, String regionId, String accessKeyId, String accessKeySecret,
                       String calledShowNumber, String ttsCode, List<String> phoneNumbers, RateLimit rateLimit)
            implements ChannelSettings {
        public AliyunVoice {
            endpoint = endpoint == null ? URI.create("https://dyvmsapi.aliyuncs.com/") : endpoint;
            httpUrl(endpoint, "endpoint");
            regionId = regionId == null ? "cn-hangzhou" : regionId;
            required(accessKeyId, "accessKeyId");
            required(accessKeySecret, "accessKeySecret");
            required(calledShowNumber, "calledShowNumber");
            required(ttsCode, "ttsCode");
            phoneNumbers = nonEmpty(phoneNumbers, "phoneNumbers");
        }
    }

    private static void required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("'" + field + "' is required");
        }
    }

    private static List<String> nonEmpty(List<String> values, String field) {
        if (values == null || values.isEmpty() || values.stream().anyMatch(v -> v == null || v.isBlank())) {
            throw new IllegalArgumentException("'" + field + "' must list at least one non-blank entry");
        }
        return List.copyOf(values);
    }

    private static void httpUrl(URI url, String field) {
        if (url == null) {
            throw new IllegalArgumentException("'" + field + "' is required");
        }
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException("'" + field + "' must be an http(s) URL with a host");
        }
    }
}
