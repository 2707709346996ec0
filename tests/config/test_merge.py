"""OpenCode's merge: deep objects, replaced arrays, concatenated and de-duplicated plugins."""

from oswitcher.config_merge import ConfigLayer, dedupe_plugins, deep_merge, merge_layers, plugin_name


def layer(data, source="x"):
    return ConfigLayer(source=source, text="", data=data)


def test_later_layers_win_and_objects_merge_deeply():
    merged = merge_layers(
        [
            layer({"switcher": {"retry": 1, "backoff": {"base_ms": 5, "max_ms": 9}}, "model": "a"}),
            layer({"switcher": {"backoff": {"base_ms": 7}}, "model": "b"}),
        ]
    )
    assert merged == {"switcher": {"retry": 1, "backoff": {"base_ms": 7, "max_ms": 9}}, "model": "b"}


def test_arrays_other_than_plugin_are_replaced():
    merged = merge_layers([layer({"switcher": {"targets": [1, 2]}}), layer({"switcher": {"targets": [3]}})])
    assert merged["switcher"]["targets"] == [3]


def test_plugins_concatenate_and_dedupe():
    merged = merge_layers([layer({"plugin": ["a", "b"]}), layer({"plugin": ["b", "c"]})])
    assert merged["plugin"] == ["a", "b", "c"]


def test_same_plugin_twice_keeps_the_last_options():
    plugins = [["/p/o-switcher.js", {"retry": 1}], "other", ["/q/o-switcher.js", {"retry": 2}]]
    assert dedupe_plugins(plugins) == ["other", ["/q/o-switcher.js", {"retry": 2}]]


def test_plugin_names():
    assert plugin_name("file:///x/y/o-switcher.js") == "o-switcher"
    assert plugin_name("@scope/pkg@1.2.3") == "@scope/pkg"
    assert plugin_name("pkg@latest") == "pkg"
    assert plugin_name("./plugins/thing.ts") == "thing"


def test_deep_merge_replaces_non_objects():
    assert deep_merge({"a": {"b": 1}}, {"a": 3}) == {"a": 3}
    assert deep_merge({"a": 1}, {"a": {"b": 1}}) == {"a": {"b": 1}}
