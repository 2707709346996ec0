"""Validation: every kind of schema error names its path and the file:line:col of the value."""

import pytest

from oswitcher.config import SwitcherConfig
from oswitcher.config_check import ConfigError, validate
from oswitcher.config_merge import ConfigLayer
from oswitcher.jsonc import loads

FILE = "/home/u/.config/opencode/opencode.json"


def layer(text, source=FILE):
    return ConfigLayer(source=source, text=text, data=loads(text))


def error_of(text, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate([layer(text)], **kwargs)
    return info.value


def test_empty_config_gives_every_default():
    snapshot = validate([layer("{}")])
    assert snapshot.switcher == SwitcherConfig()
    assert snapshot.discovery.targets == ()


def test_int_bound_error_names_path_file_line_and_column():
    text = '{\n  // breaker\n  "switcher": {\n    "circuit_breaker": {\n      "failure_threshold": 0\n    }\n  }\n}'
    err = error_of(text)
    assert err.path == "$.switcher.circuit_breaker.failure_threshold"
    assert err.message == "expected int >= 1"
    assert (err.file, err.line, err.column) == (FILE, 5, 28)
    assert str(err) == f"$.switcher.circuit_breaker.failure_threshold: expected int >= 1 ({FILE}:5:28)"


@pytest.mark.parametrize(
    ("switcher", "path", "message"),
    [
        ('{"retyr": 3}', "$.switcher.retyr", "unknown key"),
        ('{"backoff": {"base": 1}}', "$.switcher.backoff.base", "unknown key"),
        ('{"retry": -1}', "$.switcher.retry", "expected int >= 0"),
        ('{"timeout": "30s"}', "$.switcher.timeout", "expected int, got str"),
        ('{"circuit_breaker": {"failure_rate_threshold": 0}}', "$.switcher.circuit_breaker.failure_rate_threshold",
         "expected float > 0.0"),
        ('{"backoff": {"multiplier": 0.5}}', "$.switcher.backoff.multiplier", "expected float >= 1.0"),
        ('{"backoff": {"jitter": "sk-test-notavalue"}}', "$.switcher.backoff.jitter", "not one of the allowed values"),
        ('{"routing_weights": {"health": -1}}', "$.switcher.routing_weights.health", "expected float >= 0.0"),
        ('{"cooldown": {"max_ms": 0}}', "$.switcher.cooldown.max_ms", "expected int >= 1"),
        ('{"rpc": {"timeout_ms": 0}}', "$.switcher.rpc.timeout_ms", "expected int >= 1"),
        ('{"allow_model_change": "yes"}', "$.switcher.allow_model_change", "expected bool, got str"),
        ('{"log_level": "loud"}', "$.switcher.log_level", "not one of the allowed values"),
        ('{"targets": {}}', "$.switcher.targets", "expected array, got object"),
        ('{"targets": [{"provider_id": "p"}]}', "$.switcher.targets[0]", "missing required key `target_id`"),
        ('{"targets": [{"target_id": "bad id!", "provider_id": "p"}]}', "$.switcher.targets[0].target_id",
         "expected str matching regex"),
        ('[]', "$.switcher", "expected object, got array"),
    ],
)
def test_schema_errors(switcher, path, message):
    err = error_of('{"provider": {"p": {}},\n "switcher": ' + switcher + "}")
    assert err.path == path
    assert err.message.startswith(message)
    assert err.file == FILE and err.line is not None


def test_errors_never_echo_a_value():
    err = error_of('{"switcher": {"backoff": {"jitter": "sk-test-abcdefgh"}, "timeout": "sk-test-zz"}}')
    assert "sk-test" not in str(err)
    err = error_of('{"switcher": {"timeout": "sk-test-zz"}}')
    assert "sk-test" not in str(err)


def test_duplicate_target_ids():
    text = '{"provider": {"p": {}}, "switcher": {"targets": [\n{"target_id": "a", "provider_id": "p"},\n' \
           '{"target_id": "a", "provider_id": "p"}]}}'
    err = error_of(text)
    assert err.path == "$.switcher.targets[1].target_id"
    assert "duplicate" in err.message and err.line == 3


def test_unknown_provider_is_an_error_unless_auth_knows_it():
    text = '{"switcher": {"targets": [{"target_id": "a", "provider_id": "anthropic"}]}}'
    err = error_of(text)
    assert err.path == "$.switcher.targets[0].provider_id"
    assert "unknown provider" in err.message
    snapshot = validate([layer(text)], auth_providers=["anthropic"])
    assert snapshot.discovery.targets[0].provider_id == "anthropic"


def test_plugin_options_merge_over_the_switcher_section():
    text = '{"plugin": [["~/.config/opencode/plugins/o-switcher.js", {"retry": 9, "rpc": {"timeout_ms": 100}}]],' \
           ' "switcher": {"retry": 1, "timeout": 5}}'
    snapshot = validate([layer(text)])
    assert (snapshot.switcher.retry, snapshot.switcher.timeout, snapshot.switcher.rpc.timeout_ms) == (9, 5, 100)


def test_error_in_plugin_options_names_the_plugin_entry():
    text = '{"plugin": [\n  "other",\n  ["./o-switcher.js", {"rpc": {"timeout_ms": "fast"}}]\n]}'
    err = error_of(text)
    assert err.path == "$.plugin[1][1].rpc.timeout_ms"
    assert (err.line, err.column) == (3, 46)


def test_plugin_options_must_be_an_object():
    err = error_of('{"plugin": [["o-switcher", 3]]}')
    assert err.path == "$.plugin[0][1]"


def test_error_is_located_in_the_layer_that_set_the_value():
    base = layer('{"switcher": {"retry": 1}}', source="/global.json")
    over = layer('{\n\n"switcher": {"retry": -4}}', source="/project/opencode.json")
    with pytest.raises(ConfigError) as info:
        validate([base, over])
    assert (info.value.file, info.value.line) == ("/project/opencode.json", 3)


def test_provider_section_must_be_an_object():
    err = error_of('{"provider": []}')
    assert err.path == "$.provider"


def test_snapshot_and_layer_reprs_hide_keys():
    snapshot = validate([layer('{"provider": {"p": {"apiKey": "sk-test-hidden"}}}')])
    assert "sk-test-hidden" not in repr(snapshot) and "sk-test-hidden" not in repr(snapshot.layers)
    assert snapshot.layers[0].source == FILE


def test_bad_plugin_option_is_located_even_when_a_later_layer_sets_the_section():
    base = layer('{"plugin": [["/x/o-switcher.js",\n {"retry": -2}]]}', source="/global.json")
    over = layer('{"switcher": {"retry": 1}}', source="/project/opencode.json")
    with pytest.raises(ConfigError) as info:
        validate([base, over])
    assert (info.value.path, info.value.file, info.value.line) == ("$.plugin[0][1].retry", "/global.json", 2)
