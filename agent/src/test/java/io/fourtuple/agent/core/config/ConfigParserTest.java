package io.fourtuple.agent.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigParserTest {
  private static final Map<String, String> NONE = Map.of();

  private static AgentConfig parse(String args) throws ConfigException {
    return ConfigParser.parse(args, NONE, NONE);
  }

  private static ConfigException failure(
      String args, Map<String, String> properties, Map<String, String> env) {
    return assertThrows(ConfigException.class, () -> ConfigParser.parse(args, properties, env));
  }

  private static void assertContains(String haystack, String... needles) {
    for (String needle : needles) {
      assertTrue(haystack.contains(needle), () -> "'" + haystack + "' lacks '" + needle + "'");
    }
  }

  // ---- defaults ----

  /** One cap for the call-site table; its older name still counts when only it is set. */
  @Test
  void callSitesMaxAndItsOlderName() throws Exception {
    assertEquals(1000, parse(null).newCallSites().max());
    assertEquals(5, parse("callsites.max=5").newCallSites().max());
    assertEquals(7, parse("ledger.max.callsites=7").newCallSites().max());
    assertEquals(5, parse("ledger.max.callsites=7,callsites.max=5").newCallSites().max());
  }

  @Test
  void noSourcesGiveTheDefaults() throws Exception {
    AgentConfig config = ConfigParser.parse(null, NONE, NONE);
    assertTrue(config.enabled());
    assertEquals(AgentConfig.Mode.ENFORCE, config.mode());
    assertTrue(config.noPortEnabled());
    assertEquals("info", config.logLevel());
    assertEquals("stderr", config.logFile());
    assertFalse(config.strict());
    assertTrue(config.nettyEnabled());
    assertEquals("warn", config.lingerPolicy().toString());
    assertEquals(10, config.lingerLongSeconds());
    assertEquals(1000, config.lingerBlockedMillis());
    assertTrue(config.ledger().enabled());
    for (Setting s : Setting.values()) {
      assertEquals(s.defaultValue(), config.value(s), s.name());
      assertEquals(Source.DEFAULT, config.source(s), s.name());
    }
  }

  @Test
  void emptyAgentArgumentsGiveTheDefaults() throws Exception {
    for (String args : new String[] {"", " ", ",", " , ,"}) {
      AgentConfig config = parse(args);
      for (Setting s : Setting.values()) {
        assertEquals(s.defaultValue(), config.value(s), "args '" + args + "', " + s);
        assertEquals(Source.DEFAULT, config.source(s));
      }
    }
  }

  // ---- precedence ----

  @Test
  void agentArgumentBeatsSystemPropertyBeatsEnvironmentBeatsDefault() throws Exception {
    Map<String, String> env =
        Map.of(
            "FOURTUPLE_MODE", "audit", "FOURTUPLE_LOG_LEVEL", "warn", "FOURTUPLE_STRICT", "true");
    Map<String, String> props = Map.of("fourtuple.mode", "enforce", "fourtuple.log.level", "debug");
    AgentConfig config = ConfigParser.parse("mode=audit", props, env);

    assertEquals(AgentConfig.Mode.AUDIT, config.mode());
    assertEquals(Source.AGENT_ARGUMENT, config.source(Setting.MODE));

    assertEquals("debug", config.logLevel());
    assertEquals(Source.SYSTEM_PROPERTY, config.source(Setting.LOG_LEVEL));

    assertTrue(config.strict());
    assertEquals(Source.ENVIRONMENT, config.source(Setting.STRICT));

    assertEquals("stderr", config.logFile());
    assertEquals(Source.DEFAULT, config.source(Setting.LOG_FILE));
  }

  @Test
  void systemPropertyBeatsEnvironment() throws Exception {
    AgentConfig config =
        ConfigParser.parse(
            null, Map.of("fourtuple.mode", "enforce"), Map.of("FOURTUPLE_MODE", "audit"));
    assertEquals(AgentConfig.Mode.ENFORCE, config.mode());
    assertEquals(Source.SYSTEM_PROPERTY, config.source(Setting.MODE));
  }

  @Test
  void environmentBeatsDefault() throws Exception {
    AgentConfig config = ConfigParser.parse(null, NONE, Map.of("FOURTUPLE_MODE", "audit"));
    assertEquals(AgentConfig.Mode.AUDIT, config.mode());
    assertEquals(Source.ENVIRONMENT, config.source(Setting.MODE));
  }

  @Test
  void laterAgentArgumentWins() throws Exception {
    AgentConfig config = parse("mode=audit,fourtuple.mode=enforce");
    assertEquals(AgentConfig.Mode.ENFORCE, config.mode());
  }

  @Test
  void sourcesHaveReadableNames() {
    assertEquals("agent argument", Source.AGENT_ARGUMENT.toString());
    assertEquals("system property", Source.SYSTEM_PROPERTY.toString());
    assertEquals("environment variable", Source.ENVIRONMENT.toString());
    assertEquals("default", Source.DEFAULT.toString());
  }

  // ---- key spellings ----

  @ParameterizedTest
  @EnumSource(Setting.class)
  void everySettingIsReadFromEverySource(Setting s) throws Exception {
    String value = s == Setting.LOG_FILE ? "/tmp/x.log" : alternative(s);
    assertEquals(value, parse(s.shortName() + "=" + value).value(s));
    assertEquals(value, parse(s.propertyName() + "=" + value).value(s));
    assertEquals(value, ConfigParser.parse(null, Map.of(s.propertyName(), value), NONE).value(s));
    assertEquals(value, ConfigParser.parse(null, NONE, Map.of(s.envName(), value)).value(s));
  }

  /** A valid value other than the default. */
  private static String alternative(Setting s) {
    switch (s) {
      case MODE:
        return "audit";
      case LOG_LEVEL:
        return "debug";
      case LEDGER_INTERVAL:
      case LEDGER_JSON_INTERVAL:
        return "500ms";
      case LEDGER_WARN_ETA:
        return "2m";
      case LEDGER_SUMMARY_INTERVAL:
        return "off";
      case LEDGER_WARN_HEADROOM:
        return "250";
      case LEDGER_MAX_DESTINATIONS:
      case LEDGER_MAX_SOCKETS:
      case LEDGER_MAX_CALLSITES:
      case CALLSITES_MAX:
      case LEDGER_PROMETHEUS_MAX_DESTINATIONS:
        return "42";
      case LEDGER_JSON_FILE:
        return "/tmp/ledger.json";
      case LEDGER_PROMETHEUS_FILE:
        return "/var/lib/node_exporter/fourtuple-{pid}.prom";
      case LINGER_POLICY:
        return "clamp:5";
      case PORTS_SLICE:
        return "40000-40019";
      case LINGER_LONG:
        return "30";
      case LINGER_BLOCKED_MILLIS:
        return "250";
      default:
        return "true".equals(s.defaultValue()) ? "false" : "true";
    }
  }

  @Test
  void lingerSettingsAreValidatedWithOneClearMessage() throws Exception {
    assertEquals("fix", parse("linger.policy=FIX").value(Setting.LINGER_POLICY));
    assertEquals("clamp:3", parse("linger.policy=clamp: 3").value(Setting.LINGER_POLICY));
    assertEquals(30, parse("linger.long=30").lingerLongSeconds());
    assertEquals(
        "linger.policy='clamp:0' (from agent argument) is not valid: expected warn, fix, or clamp:N"
            + " with N from 1 to 65535 seconds",
        assertThrows(ConfigException.class, () -> parse("linger.policy=clamp:0")).getMessage());
    assertEquals(
        "linger.long='0' (from agent argument) is not valid: expected an integer from 1 to 65535",
        assertThrows(ConfigException.class, () -> parse("linger.long=0")).getMessage());
    assertThrows(ConfigException.class, () -> parse("linger.blocked.millis=soon"));
  }

  @Test
  void callSiteSkipIsAListOfPackagePrefixes() throws Exception {
    assertEquals(
        io.fourtuple.agent.core.report.CallSite.DEFAULT_FRAMEWORKS,
        parse(null).value(Setting.CALLSITE_SKIP));
    assertEquals(
        "io.netty.:com.acme.rpc.",
        parse("callsite.skip= io.netty. : com.acme.rpc. ").value(Setting.CALLSITE_SKIP));
    assertEquals("none", parse("callsite.skip=NONE").value(Setting.CALLSITE_SKIP));
    assertEquals(
        "callsite.skip='com.acme/rpc' (from agent argument) is not valid: expected none, or"
            + " package prefixes separated by colons (for example io.netty.:com.acme.rpc.)",
        assertThrows(ConfigException.class, () -> parse("callsite.skip=com.acme/rpc"))
            .getMessage());
    assertThrows(ConfigException.class, () -> parse("callsite.skip=io.netty.::x."));
    assertThrows(ConfigException.class, () -> parse("callsite.skip=.io"));
  }

  @Test
  void agentArgumentKeysWithAndWithoutPrefix() throws Exception {
    AgentConfig config =
        parse("fourtuple.mode=audit,noport.enabled=false,fourtuple.log.level=warn");
    assertEquals(AgentConfig.Mode.AUDIT, config.mode());
    assertFalse(config.noPortEnabled());
    assertEquals("warn", config.logLevel());
    assertEquals(Source.AGENT_ARGUMENT, config.source(Setting.MODE));
    assertEquals(Source.AGENT_ARGUMENT, config.source(Setting.NOPORT_ENABLED));
  }

  @Test
  void namesOfEachSetting() {
    assertEquals("noport.enabled", Setting.NOPORT_ENABLED.shortName());
    assertEquals("fourtuple.noport.enabled", Setting.NOPORT_ENABLED.propertyName());
    assertEquals("FOURTUPLE_NOPORT_ENABLED", Setting.NOPORT_ENABLED.envName());
    assertEquals("FOURTUPLE_LOG_LEVEL", Setting.LOG_LEVEL.envName());
    assertEquals("FOURTUPLE_LOG_FILE", Setting.LOG_FILE.envName());
    assertEquals("FOURTUPLE_MODE", Setting.MODE.envName());
    assertEquals("FOURTUPLE_ENABLED", Setting.ENABLED.envName());
    assertEquals("FOURTUPLE_STRICT", Setting.STRICT.envName());
  }

  @Test
  void environmentVariablesAreRead() throws Exception {
    AgentConfig config =
        ConfigParser.parse(
            null,
            NONE,
            Map.of(
                "FOURTUPLE_NOPORT_ENABLED", "false",
                "FOURTUPLE_ENABLED", "false",
                "FOURTUPLE_LOG_FILE", "/var/log/fourtuple.log"));
    assertFalse(config.noPortEnabled());
    assertFalse(config.enabled());
    assertEquals("/var/log/fourtuple.log", config.logFile());
    assertEquals(Source.ENVIRONMENT, config.source(Setting.NOPORT_ENABLED));
  }

  @Test
  void keysOutsideTheNamespaceAreIgnored() throws Exception {
    Map<String, String> props =
        Map.of(
            "java.version", "17",
            "fourtuplex.mode", "bogus",
            "fourtuple", "bogus",
            "user.dir", "/tmp");
    Map<String, String> env =
        Map.of("PATH", "/bin", "FOURTUPLEX", "bogus", "fourtuple_mode", "bogus", "HOME", "/root");
    AgentConfig config = ConfigParser.parse(null, props, env);
    for (Setting s : Setting.values()) {
      assertEquals(Source.DEFAULT, config.source(s));
    }
  }

  // ---- value normalization ----

  @Test
  void valuesAreTrimmedAndLowerCased() throws Exception {
    AgentConfig config = parse(" mode = AUDIT , noport.enabled=\tFalse ,log.level=DeBuG");
    assertEquals(AgentConfig.Mode.AUDIT, config.mode());
    assertEquals("audit", config.value(Setting.MODE));
    assertFalse(config.noPortEnabled());
    assertEquals("false", config.value(Setting.NOPORT_ENABLED));
    assertEquals("debug", config.logLevel());
  }

  @Test
  void normalizationAppliesToPropertiesAndEnvironment() throws Exception {
    AgentConfig config =
        ConfigParser.parse(
            null, Map.of("fourtuple.strict", " TRUE "), Map.of("FOURTUPLE_MODE", "Audit\n"));
    assertTrue(config.strict());
    assertEquals(AgentConfig.Mode.AUDIT, config.mode());
  }

  @Test
  void textIsTrimmedButKeepsItsCase() throws Exception {
    AgentConfig config = parse("log.file= /Var/Log/Fourtuple.LOG ");
    assertEquals("/Var/Log/Fourtuple.LOG", config.logFile());
  }

  // ---- errors ----

  @Test
  void unknownAgentArgumentKeyNamesKeySourceAndHint() {
    ConfigException e = failure("moed=audit", NONE, NONE);
    assertEquals(1, e.problems().size());
    assertContains(e.getMessage(), "'moed'", "agent argument", "did you mean 'mode'");
  }

  @Test
  void unknownSystemPropertyHintsThePropertySpelling() {
    ConfigException e = failure(null, Map.of("fourtuple.moed", "audit"), NONE);
    assertContains(
        e.getMessage(), "'fourtuple.moed'", "system property", "did you mean 'fourtuple.mode'");
  }

  @Test
  void unknownEnvironmentVariableHintsTheEnvironmentSpelling() {
    ConfigException e = failure(null, NONE, Map.of("FOURTUPLE_MOED", "audit"));
    assertContains(
        e.getMessage(),
        "'FOURTUPLE_MOED'",
        "environment variable",
        "did you mean 'FOURTUPLE_MODE'");
  }

  @Test
  void nearMissOfDottedKeyGetsAHint() {
    ConfigException e = failure("noport.enabeld=false", NONE, NONE);
    assertContains(e.getMessage(), "did you mean 'noport.enabled'");
    e = failure(null, NONE, Map.of("FOURTUPLE_LOG_LEVLE", "debug"));
    assertContains(e.getMessage(), "did you mean 'FOURTUPLE_LOG_LEVEL'");
  }

  @Test
  void unrelatedUnknownKeyHasNoHint() {
    ConfigException e = failure("colour=blue", NONE, NONE);
    assertContains(e.getMessage(), "'colour'", "agent argument");
    assertFalse(e.getMessage().contains("did you mean"), e.getMessage());
  }

  @Test
  void badValueNamesKeyValueSourceAndAcceptedValues() {
    ConfigException e = failure("mode=loud", NONE, NONE);
    assertEquals(1, e.problems().size());
    assertContains(e.getMessage(), "mode", "'loud'", "agent argument", "enforce", "audit");
  }

  @Test
  void badBooleanNamesTheSpellingOfItsSource() {
    ConfigException e = failure(null, Map.of("fourtuple.noport.enabled", "yes"), NONE);
    assertContains(
        e.getMessage(), "fourtuple.noport.enabled", "'yes'", "system property", "true", "false");
    e = failure(null, NONE, Map.of("FOURTUPLE_NOPORT_ENABLED", "1"));
    assertContains(
        e.getMessage(), "FOURTUPLE_NOPORT_ENABLED", "'1'", "environment variable", "true", "false");
  }

  @Test
  void badLogLevelListsTheLevels() {
    ConfigException e = failure("log.level=trace", NONE, NONE);
    assertContains(e.getMessage(), "'trace'", "error", "warn", "info", "debug");
  }

  @Test
  void emptyValuesAreRejected() {
    assertContains(failure("mode=", NONE, NONE).getMessage(), "mode", "agent argument");
    assertContains(
        failure(null, Map.of("fourtuple.log.file", "  "), NONE).getMessage(),
        "fourtuple.log.file",
        "non-empty text");
  }

  @ParameterizedTest
  @ValueSource(strings = {"x", "audit", "=audit"})
  void agentArgumentWithoutKeyIsReported(String pair) {
    ConfigException e = failure("mode=audit," + pair, NONE, NONE);
    assertEquals(1, e.problems().size());
    assertContains(e.getMessage(), "agent argument '" + pair + "' is not key=value");
  }

  @Test
  void severalProblemsAreReportedTogether() {
    ConfigException e =
        failure(
            "moed=audit,log.level=loud,oops",
            Map.of("fourtuple.strict", "perhaps"),
            Map.of("FOURTUPLE_NOPORT_ENABLED", "maybe"));
    assertEquals(5, e.problems().size(), e.problems().toString());
    assertContains(
        e.getMessage(),
        "'moed'",
        "'loud'",
        "'oops'",
        "fourtuple.strict='perhaps'",
        "FOURTUPLE_NOPORT_ENABLED='maybe'");
    for (String problem : e.problems()) {
      assertTrue(e.getMessage().contains(problem));
    }
  }

  @Test
  void aBadLowerPrecedenceValueIsReportedEvenWhenOverridden() {
    // A typo that silently does nothing is worse than a message.
    ConfigException e = failure("mode=audit", NONE, Map.of("FOURTUPLE_MODE", "bogus"));
    assertContains(e.getMessage(), "FOURTUPLE_MODE", "'bogus'");
  }

  // ---- strictRequested ----

  @Test
  void strictIsOffByDefault() {
    assertFalse(ConfigParser.strictRequested(null, NONE, NONE));
    assertFalse(ConfigParser.strictRequested("", NONE, NONE));
  }

  @Test
  void strictFromEachSource() {
    assertTrue(ConfigParser.strictRequested("strict=true", NONE, NONE));
    assertTrue(ConfigParser.strictRequested("fourtuple.strict=true", NONE, NONE));
    assertTrue(ConfigParser.strictRequested(" strict = TRUE ", NONE, NONE));
    assertTrue(ConfigParser.strictRequested(null, Map.of("fourtuple.strict", "true"), NONE));
    assertTrue(ConfigParser.strictRequested(null, NONE, Map.of("FOURTUPLE_STRICT", "true")));
    assertFalse(ConfigParser.strictRequested("strict=false", NONE, NONE));
    assertFalse(ConfigParser.strictRequested(null, Map.of("fourtuple.strict", "false"), NONE));
    assertFalse(ConfigParser.strictRequested(null, NONE, Map.of("FOURTUPLE_STRICT", "false")));
  }

  @Test
  void strictFollowsPrecedence() {
    Map<String, String> propTrue = Map.of("fourtuple.strict", "true");
    Map<String, String> envTrue = Map.of("FOURTUPLE_STRICT", "true");
    assertFalse(ConfigParser.strictRequested("strict=false", propTrue, envTrue));
    assertFalse(ConfigParser.strictRequested(null, Map.of("fourtuple.strict", "false"), envTrue));
    assertTrue(
        ConfigParser.strictRequested(
            "strict=true",
            Map.of("fourtuple.strict", "false"),
            Map.of("FOURTUPLE_STRICT", "false")));
    assertTrue(ConfigParser.strictRequested(null, propTrue, Map.of("FOURTUPLE_STRICT", "false")));
  }

  @Test
  void strictIsKnownWhenOtherValuesAreInvalid() {
    String args = "moed=audit,strict=true,log.level=loud,junk";
    Map<String, String> props = Map.of("fourtuple.noport.enabled", "maybe");
    Map<String, String> env = Map.of("FOURTUPLE_BOGUS", "1");
    assertThrows(ConfigException.class, () -> ConfigParser.parse(args, props, env));
    assertTrue(ConfigParser.strictRequested(args, props, env));

    assertTrue(
        ConfigParser.strictRequested(
            "mode=loud", Map.of("fourtuple.strict", "true", "fourtuple.moed", "x"), NONE));
    assertTrue(
        ConfigParser.strictRequested(
            "=,x", Map.of("fourtuple.mode", "x"), Map.of("FOURTUPLE_STRICT", "true")));
    assertFalse(ConfigParser.strictRequested("moed=audit,strict=false", NONE, envTrueOnly()));
  }

  private static Map<String, String> envTrueOnly() {
    return Map.of("FOURTUPLE_STRICT", "true");
  }

  @Test
  void invalidStrictValueIsNotStrict() {
    assertFalse(ConfigParser.strictRequested("strict=yes", NONE, NONE));
    assertFalse(ConfigParser.strictRequested(null, Map.of("fourtuple.strict", "1"), NONE));
  }

  /**
   * Documented: "the highest-precedence strict value that is exactly true or false decides". An
   * invalid agent-argument value must not hide a valid lower-precedence one.
   */
  @Test
  void invalidHigherPrecedenceStrictValueFallsBackToTheNextValidOne() {
    assertTrue(
        ConfigParser.strictRequested("strict=yes", Map.of("fourtuple.strict", "true"), NONE));
    assertTrue(
        ConfigParser.strictRequested(
            null, Map.of("fourtuple.strict", "on"), Map.of("FOURTUPLE_STRICT", "true")));
  }
}
