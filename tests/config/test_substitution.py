"""{env:} and {file:} substitution, as OpenCode's loader does it."""

import pytest

from oswitcher.jsonc import loads
from oswitcher.substitution import SubstitutionError, substitute


class FakeFiles:
    """A read_file callable over a dict, recording what was read."""

    def __init__(self, files):
        self.files = files
        self.read = []

    def __call__(self, path):
        self.read.append(path)
        if path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path]


def sub(text, env=None, files=None):
    return substitute(text, env=env or {}, read_file=files or FakeFiles({}), config_dir="/cfg", home="/home/u")


def test_env_is_inserted_raw_and_unset_becomes_empty():
    text = '{"a": "{env:KEY}", "b": "{env:NOPE}", "n": {env:N}}'
    assert loads(sub(text, env={"KEY": "sk-test-1", "N": "7"})) == {"a": "sk-test-1", "b": "", "n": 7}


def test_file_relative_to_config_dir_trimmed_and_json_escaped():
    files = FakeFiles({"/cfg/keys/k.txt": '  line "one"\nline\\two \n'})
    out = sub('{"p": "{file:keys/k.txt}"}', files=files)
    assert loads(out) == {"p": 'line "one"\nline\\two'}
    assert files.read == ["/cfg/keys/k.txt"]


def test_file_home_and_absolute_paths():
    files = FakeFiles({"/home/u/k": "a", "/etc/k": "b"})
    assert loads(sub('["{file:~/k}", "{file:/etc/k}"]', files=files)) == ["a", "b"]


def test_file_reference_on_a_commented_line_is_not_read():
    files = FakeFiles({})
    text = '{\n  // "x": "{file:missing.txt}",\n  "a": 1\n}'
    assert sub(text, files=files) == text
    assert files.read == []


def test_missing_file_names_the_reference_not_any_content():
    with pytest.raises(SubstitutionError) as info:
        sub('{"k": "{file:./nope}"}')
    assert "{file:./nope}" in str(info.value)
    assert info.value.resolved == "/cfg/nope"


def test_each_occurrence_is_replaced():
    files = FakeFiles({"/cfg/a": "x"})
    assert loads(sub('["{file:a}", "{file:a}"]', files=files)) == ["x", "x"]
